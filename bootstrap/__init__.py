"""One-time account setup for CI: `uv run python -m bootstrap --repository owner/name --region us-east-1`."""
