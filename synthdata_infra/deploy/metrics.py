"""Live figures for ``status``: throughput and resource use from Prometheus's HTTP API."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request

from synthdata_infra.errors import ConfigError

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


class Unanswered(Exception):
    """A Prometheus that gave no answer (unreachable, refused, not signed): its message says why, in one line."""


# Amazon Managed Prometheus answers only requests signed with SigV4 for the service "aps".
MANAGED_PROMETHEUS_HOST = re.compile(r"^aps-workspaces\.([a-z0-9-]+)\.amazonaws\.com$")


def signed_request(address: str) -> urllib.request.Request:
    """A GET of ``address``; signed with SigV4 (botocore's signer, the default AWS credentials)
    when it goes to Amazon Managed Prometheus, plain otherwise."""
    host = urllib.parse.urlparse(address).hostname or ""
    managed = MANAGED_PROMETHEUS_HOST.match(host)
    if not managed:
        return urllib.request.Request(address)
    try:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.session import Session
    except ImportError:
        raise Unanswered("signing queries to Amazon Managed Prometheus needs botocore: pip install 'synthdata-infra[aws]'") from None
    credentials = Session().get_credentials()
    if credentials is None:
        raise Unanswered("no AWS credentials to sign queries to Amazon Managed Prometheus (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...)")
    request = AWSRequest(method="GET", url=address)
    SigV4Auth(credentials.get_frozen_credentials(), "aps", managed.group(1)).add_auth(request)
    return urllib.request.Request(address, headers=dict(request.headers.items()))


class Prometheus:
    """Instant queries against one Prometheus HTTP API. After the first query it does not
    answer, it is not asked again: :attr:`unanswered` says why, and every later query raises."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.unanswered: str | None = None
        # Its own opener: proxies are read from the environment now, not when the process first asked anything.
        self.opener = urllib.request.build_opener()

    def vector(self, promql: str) -> list[tuple[dict[str, str], float]]:
        """The labels and value of each series of an instant query (NaN values left out)."""
        if self.unanswered:
            raise Unanswered(self.unanswered)
        try:
            with self.opener.open(signed_request(self.address(promql)), timeout=self.timeout) as response:
                body = json.loads(response.read())
        except Unanswered as exc:
            self.unanswered = str(exc)
        except urllib.error.HTTPError as exc:
            self.unanswered = f"{self.url} answered HTTP {exc.code} {exc.reason}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            self.unanswered = f"{self.url} did not answer ({getattr(exc, 'reason', exc)})"
        else:
            if body.get("status") == "success" and body.get("data", {}).get("resultType") == "vector":
                return [
                    (series["metric"], float(series["value"][1]))
                    for series in body["data"]["result"]
                    if float(series["value"][1]) == float(series["value"][1])  # NaN: no samples in the window
                ]
            self.unanswered = f"{self.url} refused {promql!r}: {body.get('error', body)}"
        raise Unanswered(self.unanswered)

    def address(self, promql: str) -> str:
        """The instant query's URL, encoded as SigV4 canonicalizes a query (a space as %20, not
        +), so that a signature over it is the one AWS computes."""
        return f"{self.url}/api/v1/query?query={urllib.parse.quote(promql, safe='-_.~')}"

    def value(self, promql: str) -> float | None:
        """The single value of an instant query; None when the result is empty."""
        result = self.vector(promql)
        return result[0][1] if result else None


def per_hour(value: float | None) -> str:
    if value is None:
        return "-"
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if value >= limit:
            return f"{value / limit:.1f}{suffix}/hour"
    return f"{value:.0f}/hour"


def percent(value: float | None, resource: str) -> str:
    return "-" if value is None else f"{value * 100:.0f}% {resource}"
