"""A real Prometheus on 127.0.0.1 loads the generated rules, scrapes a small exporter of
synthdata metrics, and raises HighErrorRate: seen through its HTTP API."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from synthdata_infra.monitoring.rules import rules_files

DEADLINE_SECONDS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Exporter(BaseHTTPRequestHandler):
    """Serves synthdata metrics; every scrape adds 10 errors (far above 0.05 per second)."""

    scrapes = 0

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        Exporter.scrapes += 1
        body = (
            "# TYPE synthdata_errors_total counter\n"
            f'synthdata_errors_total{{data_type="tabular",service="customer-synth",error_type="timeout"}} {10 * Exporter.scrapes}\n'
            "# TYPE synthdata_records_generated_total counter\n"
            f'synthdata_records_generated_total{{data_type="tabular",service="customer-synth"}} {100 * Exporter.scrapes}\n'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def exporter():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Exporter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_prometheus_raises_high_error_rate(tmp_path: Path, exporter: int):
    binary = shutil.which("prometheus")
    assert binary, "prometheus not found: `make test` installs the Debian package prometheus"
    for name, text in rules_files(("tabular",)).items():
        (tmp_path / name).write_text(text)
    (tmp_path / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files: [{', '.join(sorted(rules_files(('tabular',))))}]\n"
        f"scrape_configs:\n  - job_name: synthdata\n    static_configs:\n      - targets: ['127.0.0.1:{exporter}']\n"
    )
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        state, deadline = None, time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline and state not in ("pending", "firing"):
            time.sleep(1)
            try:
                alerts = requests.get(f"http://127.0.0.1:{port}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
            except requests.ConnectionError:
                continue
            state = next((a["state"] for a in alerts if a["labels"]["alertname"] == "HighErrorRate"), None)
        rules = requests.get(f"http://127.0.0.1:{port}/api/v1/rules", timeout=5).json()["data"]["groups"]
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert state in ("pending", "firing"), stderr.decode()[-2000:]
    assert {g["name"] for g in rules} == {"synthdata_recording", "synthdata_common", "synthdata_tabular"}
    assert all(rule["health"] != "err" for g in rules for rule in g["rules"]), rules  # "unknown" until first evaluated
    assert Exporter.scrapes >= 2
