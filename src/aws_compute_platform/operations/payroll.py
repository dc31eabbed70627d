"""PayrollWatch: both Elastic Beanstalk environments' health, the jobs queue's backlog and its dead letters."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from aws_compute_platform.beanstalk.args import BeanstalkArgs
from aws_compute_platform.beanstalk.payroll import BeanstalkApp
from aws_compute_platform.operations.alarms import Watch
from aws_compute_platform.operations.alerts import AlertTopic
from aws_compute_platform.operations.watch import ComponentWatch

EB, SQS = "AWS/ElasticBeanstalk", "AWS/SQS"
# Enhanced health's EnvironmentHealth values (Elastic Beanstalk developer guide, "Publishing Amazon CloudWatch
# custom metrics for an environment"): 0 OK, 1 Info, 5 Unknown, 10 No data, 15 Warning, 20 Degraded, 25 Severe.
DEGRADED = 20


class PayrollWatch(ComponentWatch):
    """An environment Degraded or worse, a job waiting longer than a job may run, a file given up on."""

    title = "Payroll"

    def __init__(
        self,
        name: str,
        app: BeanstalkApp,
        args: BeanstalkArgs,
        *,
        topic: AlertTopic,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("PayrollWatch", name, topic=topic, tags=tags, opts=opts)
        a = self.alarms
        health = []
        for tier, environment in (("web", app.web), ("worker", app.worker)):
            env = {"EnvironmentName": environment.name}
            watch = Watch(EB, "EnvironmentHealth", "Maximum", env)
            health.append(watch)
            a.on(
                f"{tier}-environment-degraded",
                f"The payroll {tier} environment has been Degraded or Severe for 5 minutes (enhanced health). Its "
                "Health page in the Elastic Beanstalk console names the causes; the environment's logs are in "
                "CloudWatch Logs.",
                watch,
                threshold=DEGRADED,
                period=60,
                evaluation_periods=5,
            )
            self.row(
                f"Payroll {tier} requests and 5xx",
                Watch(EB, "ApplicationRequestsTotal", "Sum", env),
                Watch(EB, "ApplicationRequests5xx", "Sum", env),
            )
        jobs = {"QueueName": app.queue.name}
        dead = {"QueueName": app.dead_letters.name}
        job_timeout = args.worker.inactivity_timeout_s
        a.on(
            "jobs-waiting-too-long",
            f"A payroll file has waited in the jobs queue longer than a job may run ({job_timeout} s): the worker "
            "is down, stuck or too small. Check the worker environment's health and its instances' logs.",
            Watch(SQS, "ApproximateAgeOfOldestMessage", "Maximum", jobs),
            threshold=job_timeout,
        )
        a.on(
            "dead-letter",
            "A payroll file failed every attempt and was given up on: its message is in the dead-letter queue, the "
            "file stays in the uploads bucket and its uploader was emailed. Read the worker's log for the job, fix "
            "the cause, then redrive the message (SQS console: Start DLQ redrive).",
            Watch(SQS, "ApproximateNumberOfMessagesVisible", "Maximum", dead),
            threshold=1,
        )
        self.row("Payroll environment health (0 OK ... 25 Severe)", *health)
        self.row(
            "Payroll queues",
            Watch(SQS, "ApproximateNumberOfMessagesVisible", "Maximum", jobs),
            Watch(SQS, "ApproximateNumberOfMessagesVisible", "Maximum", dead),
        )
        self.row("Payroll oldest job (s)", Watch(SQS, "ApproximateAgeOfOldestMessage", "Maximum", jobs))


__all__ = ["PayrollWatch"]
