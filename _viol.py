import json
from tests.test_policy import plan_violations
from plan import run_stack
for s in ("dev","prod"):
    p=run_stack(s)
    for v in plan_violations(p, {}):
        print(s, v[:230])
