"""A real Prometheus on 127.0.0.1 and a small exporter for it to scrape (shared by tests)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def exporter(render: Callable[[int], str]) -> Iterator[int]:
    """Serve ``render(n)`` (Prometheus text format) on the n-th scrape; yields the port."""
    scrapes = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            scrapes[0] += 1
            body = render(scrapes[0]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class Prometheus:
    def __init__(self, url: str, process: subprocess.Popen) -> None:
        self.url = url
        self.process = process
        self.stderr = ""


@contextmanager
def prometheus(folder: Path, target_port: int, rules: dict[str, str] | None = None) -> Iterator[Prometheus]:
    """Prometheus scraping 127.0.0.1:``target_port`` every second, with ``rules`` (file -> text)."""
    binary = shutil.which("prometheus")
    assert binary, "prometheus not found: `make test` installs the Debian package prometheus"
    rules = rules or {}
    for name, text in rules.items():
        (folder / name).write_text(text)
    (folder / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files: [{', '.join(sorted(rules))}]\n"
        f"scrape_configs:\n  - job_name: synthdata\n    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
    )
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    running = Prometheus(f"http://127.0.0.1:{port}", process)
    try:
        yield running
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        running.stderr = stderr.decode(errors="replace")
