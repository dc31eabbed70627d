"""The payroll application on Elastic Beanstalk: `BeanstalkApp` and the Args it is built from."""

from aws_compute_platform.beanstalk.args import BeanstalkArgs, WebTierArgs, WorkerTierArgs
from aws_compute_platform.beanstalk.payroll import BeanstalkApp

__all__ = ["BeanstalkApp", "BeanstalkArgs", "WebTierArgs", "WorkerTierArgs"]
