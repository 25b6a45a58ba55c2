"""A real Prometheus on 127.0.0.1 loads the generated rules, scrapes a small exporter of
synthdata metrics, and raises HighErrorRate: seen through its HTTP API."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from synthdata_infra.monitoring.rules import rules_files
from tests.prometheus import exporter, prometheus

DEADLINE_SECONDS = 90


def metrics(scrape: int) -> str:
    """Every scrape adds 10 errors (far above 0.05 per second)."""
    return (
        "# TYPE synthdata_errors_total counter\n"
        f'synthdata_errors_total{{data_type="tabular",service="customer-synth",error_type="timeout"}} {10 * scrape}\n'
        "# TYPE synthdata_records_generated_total counter\n"
        f'synthdata_records_generated_total{{data_type="tabular",service="customer-synth"}} {100 * scrape}\n'
    )


@pytest.mark.integration
def test_prometheus_raises_high_error_rate(tmp_path: Path):
    scrapes = []

    def render(scrape: int) -> str:
        scrapes.append(scrape)
        return metrics(scrape)

    with exporter(render) as port, prometheus(tmp_path, port, rules_files(("tabular",))) as server:
        state, deadline = None, time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline and state not in ("pending", "firing"):
            time.sleep(1)
            try:
                alerts = requests.get(f"{server.url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
            except requests.ConnectionError:
                continue
            state = next((a["state"] for a in alerts if a["labels"]["alertname"] == "HighErrorRate"), None)
        rules = requests.get(f"{server.url}/api/v1/rules", timeout=5).json()["data"]["groups"]
    assert state in ("pending", "firing"), server.stderr[-2000:]
    assert {g["name"] for g in rules} == {"synthdata_recording", "synthdata_common", "synthdata_tabular"}
    assert all(rule["health"] != "err" for g in rules for rule in g["rules"]), rules  # "unknown" until first evaluated
    assert len(scrapes) >= 2
