"""`status --prometheus-url` reads throughput and resource use from a real Prometheus."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import run_cli
from tests.prometheus import exporter, prometheus

RECORDS_PER_SCRAPE = 500


def metrics(scrape: int) -> str:
    """customer-synth generates 500 records between scrapes and uses 40% of its CPU request."""
    return (
        "# TYPE synthdata_records_generated_total counter\n"
        f'synthdata_records_generated_total{{data_type="tabular",service="customer-synth"}} {RECORDS_PER_SCRAPE * scrape}\n'
        "# TYPE synthdata_cpu_usage gauge\n"
        'synthdata_cpu_usage{data_type="tabular",service="customer-synth",pod="customer-synth-0"} 0.4\n'
    )


def wait_for_samples(url: str, deadline_seconds: float = 60) -> None:
    """Until a rate over the counter has two samples to work from."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        try:
            result = requests.get(
                f"{url}/api/v1/query", params={"query": "count_over_time(synthdata_records_generated_total[5m])"}, timeout=5
            ).json()["data"]["result"]
            if result and float(result[0]["value"][1]) >= 3:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise AssertionError("Prometheus did not scrape the exporter three times")


@pytest.mark.integration
def test_status_reads_throughput_and_usage_from_prometheus(project: Path, tmp_path: Path):
    env = {"SYNTHDATA_INFRA_ROOT": str(project)}
    with exporter(metrics) as port, prometheus(tmp_path, port) as server:
        wait_for_samples(server.url)
        done = run_cli("status", "--environment", "production", "--prometheus-url", server.url, "--format", "json", env=env)
        table = run_cli("status", "--environment", "production", "--prometheus-url", server.url, env=env)
    assert done.returncode == 0, done.stderr
    rows = {row["service"]: row for row in json.loads(done.stdout)}
    # production records the seed's three services; only customer-synth exports metrics here
    assert set(rows) == {"customer-synth", "product-images", "marketing-videos"}
    synth = rows["customer-synth"]
    assert synth["throughput_per_hour"] > 0
    assert synth["usage"] == 0.4 and synth["usage_resource"] == "CPU"
    assert rows["product-images"]["throughput_per_hour"] is None
    assert rows["product-images"]["usage_resource"] == "GPU"
    assert all(row["status"] == "not deployed" for row in rows.values())
    assert table.returncode == 0, table.stderr
    line = next(line for line in table.stdout.splitlines() if "customer-synth" in line)
    assert "/hour" in line and "40% CPU" in line


def test_status_refuses_a_prometheus_url_that_is_not_http_with_one_message(project: Path):
    """A Prometheus that does not answer is not an error (health says unknown, see
    test_status_health.py); a value that is no http(s) URL is bad input."""
    done = run_cli("status", "--prometheus-url", "ftp://127.0.0.1:9090", env={"SYNTHDATA_INFRA_ROOT": str(project)})
    assert done.returncode == 2
    assert done.stderr.startswith("error: --prometheus-url: got 'ftp://127.0.0.1:9090';") and "http(s) URL" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
