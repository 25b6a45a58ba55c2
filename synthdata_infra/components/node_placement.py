"""What ties a service's pods to its node pool, the same on every cloud: the node pool label, the
accelerator label and the GPU taint. The cloud node pools set them; the workload module selects
the labels (its ``node_selector`` input is the cloud module's output) and tolerates the taint."""

from __future__ import annotations

NODE_POOL_LABEL = "synthdata.io/node-pool"
ACCELERATOR_LABEL = "synthdata.io/accelerator"
GPU_TAINT_KEY = "nvidia.com/gpu"  # GPU nodes take only pods that tolerate it
GPU_TAINT_VALUE = "present"


def node_labels(service_name: str, gpu_model: str | None) -> dict[str, str]:
    """The node pool's labels: the service it belongs to and, on GPU pools, the GPU model."""
    labels = {NODE_POOL_LABEL: service_name}
    if gpu_model is not None:
        labels[ACCELERATOR_LABEL] = gpu_model
    return labels
