"""Deploying services: root stacks, Terraform runs, the local target and status."""
