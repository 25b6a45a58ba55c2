"""Constructs of the Azure cloud layer (AKS node pool, Storage, Key Vault, workload identity, Front Door)."""
