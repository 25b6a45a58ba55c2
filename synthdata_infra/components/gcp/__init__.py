"""Constructs of the GCP cloud layer (GKE node pool, GCS, Cloud KMS, Workload Identity, Secret Manager, Cloud CDN)."""
