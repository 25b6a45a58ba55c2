"""The seed's three Python usage examples, run unchanged (tests/deploy/data/seed_usage_examples.md
holds them verbatim) against ``plan_only=True``: each deploy is planned, says where the service
would answer, and writes nothing into the project."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from synthdata_infra.api import DataType, SyntheticDataInfrastructure
from tests.deploy.conftest import snapshot

EXAMPLES = (Path(__file__).parent / "data" / "seed_usage_examples.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", EXAMPLES, re.DOTALL)


def test_the_seed_has_three_examples():
    assert len(BLOCKS) == 3 and all("infra.deploy_service(" in block for block in BLOCKS)


def test_the_seed_examples_run_unchanged_as_plans(deploy_project: Path, capsys):
    before = snapshot(deploy_project)
    # The examples build the object themselves: the one they get plans instead of applying.
    namespace = {"SyntheticDataInfrastructure": functools.partial(SyntheticDataInfrastructure, plan_only=True), "DataType": DataType}
    results = []
    for block in BLOCKS:
        exec(compile(block, "seed_usage_examples.md", "exec"), namespace)
        results.append(namespace["result"])
    assert [(r.service_name, r.data_type, r.provider, r.environment) for r in results] == [
        ("customer-data-synthesizer", "tabular", "aws", "production"),
        ("product-image-generator", "image", "aws", "production"),
        ("marketing-video-generator", "video", "aws", "production"),
    ]
    for result in results:
        assert (result.success, result.status) == (True, "planned"), result.message
        # production has a domain: the service answers at its Ingress host, over TLS.
        assert result.endpoint == f"https://{result.service_name}.synthdata.example.com"
        # production's roots keep their state in Terraform Cloud: a root Terraform could not plan
        # here is named with Terraform's reason, the others were planned.
        assert set(result.unplanned) <= {f"{result.service_name}-production", "monitoring-aws-production", "platform-aws-production", "workspaces-production"}
        assert all(reason.strip() for reason in result.unplanned.values())
    assert "Deployed at: https://customer-data-synthesizer.synthdata.example.com" in capsys.readouterr().out
    assert snapshot(deploy_project) == before
    assert not (deploy_project / ".synthdata").exists() and not (deploy_project / "cdktf.out").exists()
