"""Run the Pulumi program offline, under the SDK's mock engine, and capture what it would create as a plan.

The tests and the cost estimate both read this plan: every resource with its type, name, inputs and the
resource options that matter for safety (`protect`, `retainOnDelete`, parent, dependencies).
"""

from plan.engine import Plan, PlannedResource, load_stack_config, run_program, run_stack

__all__ = ["Plan", "PlannedResource", "load_stack_config", "run_program", "run_stack"]
