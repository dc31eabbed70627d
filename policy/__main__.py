"""Entry point Pulumi runs for `--policy-pack policy`: serve every rule of `policy.rules` to the engine."""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

# Pulumi runs this file from inside policy/; the repository root makes `policy.rules` importable as in the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policy.rules import PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
