"""Node labels and resource tags, written once for every cloud (components/node_placement.py,
components/resource_tags.py)."""

from __future__ import annotations

import json
import subprocess

from synthdata_infra.components.node_placement import ACCELERATOR_LABEL, NODE_POOL_LABEL, node_labels
from synthdata_infra.components.resource_tags import resource_tags


def test_node_labels_name_the_service_and_on_gpu_pools_the_gpu_model():
    assert node_labels("${var.service_name}", None) == {NODE_POOL_LABEL: "${var.service_name}"}
    assert node_labels("${var.service_name}", "${var.gpu_model}") == {
        NODE_POOL_LABEL: "${var.service_name}",
        ACCELERATOR_LABEL: "${var.gpu_model}",
    }


def test_resource_tags_add_service_environment_and_type_over_the_callers(tmp_path):
    expression = resource_tags("${var.tags}", service_name="${var.service_name}", environment="${var.environment}", data_type="time_series")
    assert expression == (
        '${merge(var.tags, {"synthdata:service" = var.service_name, "synthdata:environment" = var.environment, '
        '"synthdata:data-type" = "time_series"})}'
    )
    module = {
        "variable": {
            "tags": {"default": {"team": "ml", "synthdata:service": "spoofed"}},
            "service_name": {"default": "svc"},
            "environment": {"default": "dev"},
        },
        "locals": {
            "tags": expression,
            "labels": resource_tags("${var.tags}", service_name="${var.service_name}", environment="${var.environment}", data_type="image", separator="-"),
        },
    }
    (tmp_path / "main.tf.json").write_text(json.dumps(module))
    console = subprocess.run(
        ["terraform", "console"], input="jsonencode([local.tags, local.labels])", cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert console.returncode == 0, console.stderr
    tags, labels = json.loads(json.loads(console.stdout))
    assert tags == {"team": "ml", "synthdata:service": "svc", "synthdata:environment": "dev", "synthdata:data-type": "time_series"}
    assert labels == {"team": "ml", "synthdata:service": "spoofed", "synthdata-service": "svc", "synthdata-environment": "dev", "synthdata-data-type": "image"}
