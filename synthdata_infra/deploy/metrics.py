"""Live figures for ``status``: throughput and resource use from Prometheus's HTTP API."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from synthdata_infra.errors import ConfigError, SynthdataError

def throughput_query(service: str) -> str:
    """Records per hour over the last five minutes (every type exports the common counter)."""
    return f'sum(rate(synthdata_records_generated_total{{service="{service}"}}[5m])) * 3600'


def usage_query(service: str, uses_gpu: bool) -> tuple[str, str]:
    """Mean utilisation (0-1) of what limits the service: GPU when its configuration has GPUs, else CPU."""
    if uses_gpu:
        return f'avg(synthdata_gpu_usage{{service="{service}"}})', "GPU"
    return f'avg(synthdata_cpu_usage{{service="{service}"}})', "CPU"


def check_url(url: str) -> str:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError("--prometheus-url", url, "expected an http(s) URL of a Prometheus, e.g. http://127.0.0.1:9090")
    return url.rstrip("/")


def query(url: str, promql: str, timeout: float = 10.0) -> float | None:
    """The single value of an instant query; None when the result is empty."""
    address = f"{url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    try:
        with urllib.request.urlopen(address, timeout=timeout) as response:
            body = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SynthdataError(f"--prometheus-url: {url} did not answer a query ({exc})") from None
    if body.get("status") != "success":
        raise SynthdataError(f"--prometheus-url: {url} refused {promql!r}: {body.get('error', body)}")
    result = body["data"]["result"]
    if not result:
        return None
    value = float(result[0]["value"][1])
    return None if value != value else value  # NaN: no samples in the window


def per_hour(value: float | None) -> str:
    if value is None:
        return "-"
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if value >= limit:
            return f"{value / limit:.1f}{suffix}/hour"
    return f"{value:.0f}/hour"


def percent(value: float | None, resource: str) -> str:
    return "-" if value is None else f"{value * 100:.0f}% {resource}"
