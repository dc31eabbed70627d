"""BeanstalkEnvironment: one Elastic Beanstalk environment running a version; the web and worker tiers are two."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import pulumi
import pulumi_aws as aws

from aws_compute_platform.beanstalk.args import environment_name_problem
from aws_compute_platform.beanstalk.options import Setting
from aws_compute_platform.config import ConfigError
from aws_compute_platform.foundation.tags import tagged

Tier = Literal["WebServer", "Worker"]


class BeanstalkEnvironment(pulumi.ComponentResource):
    """An environment named `name` (Elastic Beanstalk's own name too: 4-40 letters, digits or dashes).

    `settings` are its option settings; `depends_on` holds the grants its instances and service role need before the
    environment launches anything.
    """

    def __init__(
        self,
        name: str,
        *,
        tier: Tier,
        application: pulumi.Input[str],
        version: pulumi.Input[str],
        platform: pulumi.Input[str],
        settings: Sequence[Setting],
        tags: Mapping[str, str],
        depends_on: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        problem = environment_name_problem(name)
        if problem:
            raise ConfigError("name", f"{problem}: choose a shorter component name", name)
        super().__init__("acp:beanstalk:Environment", name, None, opts)
        self.settings = list(settings)
        self.environment = aws.elasticbeanstalk.Environment(
            name,
            name=name,
            application=application,
            tier=tier,
            solution_stack_name=platform,
            version=version,
            settings=self.settings,
            tags=tagged(tags, name),
            # An explicit name is needed (autonaming would pass 40 characters); it forces delete-then-create.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on), delete_before_replace=True),
        )
        self.name: pulumi.Output[str] = self.environment.name
        self.cname: pulumi.Output[str] = self.environment.cname
        # The Auto Scaling group Elastic Beanstalk made for the environment: it keeps one group (immutable and
        # managed platform updates move new instances into it); a change that replaces it gives a new name here.
        self.autoscaling_group: pulumi.Output[str] = self.environment.autoscaling_groups.apply(_only_group)
        # A web environment's Application Load Balancer: `load_balancers` lists its ARN (a worker has none).
        self.load_balancer_arn: pulumi.Output[str] = self.environment.load_balancers.apply(
            lambda arns: (arns or [""])[0]
        )
        self.register_outputs({"name": self.name, "cname": self.cname})


def _only_group(groups: list[str] | None) -> str:
    if not groups or len(groups) != 1:
        raise ValueError(f"expected the environment to have one Auto Scaling group, not {groups!r}")
    return groups[0]
