"""Your own images: an EC2 Image Builder pipeline that bakes the WordPress web tier into an AMI (docs/images.md)."""
