"""Queries to Amazon Managed Prometheus are signed with SigV4 (service ``aps``, the region of
the workspace's host); other Prometheus URLs are asked plainly. The signature is checked
against SigV4 as AWS documents it, computed here independently of botocore."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from synthdata_infra.deploy.metrics import Prometheus, Unanswered, signed_request

KEY, SECRET, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token-example"
WORKSPACE = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0123abcd"


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path):
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    return monkeypatch


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(url: str, headers: dict[str, str], signed: list[str], amz_date: str, region: str, service: str) -> str:
    """SigV4 of a GET without a body (AWS General Reference, "Create a signed AWS API request")."""
    parts = urllib.parse.urlsplit(url)
    query = "&".join(
        f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
        for k, v in sorted(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    )
    values = {**{k.lower(): v.strip() for k, v in headers.items()}, "host": parts.netloc}
    canonical = "\n".join(
        ["GET", parts.path, query, "".join(f"{name}:{values[name]}\n" for name in signed), ";".join(signed), hashlib.sha256(b"").hexdigest()]
    )
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{SECRET}".encode(), amz_date[:8]), region), service), "aws4_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_a_query_to_managed_prometheus_carries_a_valid_sigv4_signature(aws_credentials):
    promql = 'sum by (service) (rate(synthdata_records_generated_total{service="a/b"}[5m])) * 3600'
    request = signed_request(Prometheus(WORKSPACE).address(promql))
    headers = dict(request.header_items())
    authorization = headers["Authorization"]
    found = re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
        r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})",
        authorization,
    )
    assert found, authorization
    assert (found["key"], found["region"], found["service"]) == (KEY, "eu-west-1", "aps")
    amz_date = headers["X-amz-date"]
    assert re.fullmatch(r"\d{8}T\d{6}Z", amz_date) and amz_date[:8] == found["date"]
    assert headers["X-amz-security-token"] == TOKEN
    signed = found["signed"].split(";")
    assert {"host", "x-amz-date", "x-amz-security-token"} <= set(signed)
    assert found["signature"] == expected_signature(request.full_url, headers, signed, amz_date, "eu-west-1", "aps")


def test_other_prometheus_urls_are_not_signed(aws_credentials):
    for url in ("http://127.0.0.1:9090/api/v1/query?query=up", "https://aps-workspaces.eu-west-1.amazonaws.com.example.org/api/v1/query"):
        assert "Authorization" not in dict(signed_request(url).header_items())


def test_the_signed_query_goes_out_with_its_headers(aws_credentials):
    """Through an HTTP proxy standing in for AWS: what arrives is the signed GET, and the answer is read."""
    arrived: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            arrived.append((self.path, dict(self.headers.items())))
            body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, "7"]}]}})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        aws_credentials.setenv("http_proxy", f"http://127.0.0.1:{server.server_address[1]}")
        aws_credentials.setenv("no_proxy", "")
        workspace = WORKSPACE.replace("https://", "http://")
        assert Prometheus(workspace).value("up") == 7.0
    finally:
        server.shutdown()
        server.server_close()
    (path, headers), = arrived
    assert path == f"{workspace}/api/v1/query?query=up"
    assert headers["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={KEY}/") and "/eu-west-1/aps/aws4_request" in headers["Authorization"]
    assert headers["X-Amz-Security-Token"] == TOKEN


def test_without_aws_credentials_the_health_says_why(aws_credentials):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        aws_credentials.delenv(name)
    prometheus = Prometheus(WORKSPACE)
    with pytest.raises(Unanswered, match="no AWS credentials"):
        prometheus.value("up")
    assert "no AWS credentials" in (prometheus.unanswered or "")
