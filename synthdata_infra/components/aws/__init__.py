"""Constructs of the AWS cloud layer (EKS node group, S3, KMS, IRSA, Secrets Manager, CloudFront)."""
