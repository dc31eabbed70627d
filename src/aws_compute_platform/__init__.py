"""aws-compute-platform: Pulumi components for every way of running software on AWS."""
