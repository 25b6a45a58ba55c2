"""The one parser of Prometheus durations, checked against Prometheus itself (promtool)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from synthdata_infra.quantities import DURATION_HINT, duration_seconds
from synthdata_infra.synth.azure_monitoring_module import iso_duration
from tests.conftest import edit_yaml

ACCEPTED = {
    "30s": 30,
    "15m": 900,
    "0m": 0,
    "12h": 43200,
    "1h30m": 5400,
    "1d": 86400,
    "30d": 2592000,
    "2w": 1209600,
    "1y": 31536000,
    "1y2w3d4h5m6s": 31536000 + 2 * 604800 + 3 * 86400 + 4 * 3600 + 5 * 60 + 6,
}
# Refused: not durations, units out of Prometheus' order or repeated (the GCP and Azure copies
# this parser replaced accepted those), and what Prometheus takes but nothing here needs
# (a bare 0, milliseconds).
REFUSED = ("", "15", "15 minutes", "1.5h", "5M", "-1m", "30m1h", "1m1m", "1h 30m", "15m\n", "0", "500ms")


@pytest.mark.parametrize(("text", "seconds"), ACCEPTED.items())
def test_durations_in_seconds(text, seconds):
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", REFUSED)
def test_malformed_durations_are_refused(text):
    with pytest.raises(ValueError, match=DURATION_HINT):
        duration_seconds(text)


def test_prometheus_accepts_every_duration_accepted_here_and_refuses_the_misordered(tmp_path):
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: `make test` installs the Debian package prometheus"

    def check(durations) -> subprocess.CompletedProcess:
        groups = [
            {"name": f"g{i}", "rules": [{"alert": "A", "expr": "vector(1)", "for": text}]} for i, text in enumerate(durations)
        ]
        path = tmp_path / "rules.yaml"
        path.write_text(yaml.safe_dump({"groups": groups}))
        return subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)

    accepted = check(ACCEPTED)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    for text in ("30m1h", "1m1m", "1.5h", "15"):
        assert check([text]).returncode != 0, text


def test_azure_for_is_the_same_duration_in_iso_8601():
    assert [iso_duration(text) for text in ("0m", "90s", "10m", "1h30m", "1d", "2w")] == [
        "PT0M", "PT1M30S", "PT10M", "PT1H30M", "PT24H", "PT336H",
    ]
    with pytest.raises(ValueError, match=DURATION_HINT):
        iso_duration("30m1h")


def test_a_profile_duration_uses_the_same_rules(project):
    """A type's alert `for` (profiles/<type>/alerts.yaml) is read with the same duration rules."""
    from synthdata_infra.errors import ConfigError
    from synthdata_infra.monitoring.rules import type_alerts

    alerts = project / "profiles" / "tabular" / "alerts.yaml"
    edit_yaml(alerts, lambda d: d["alerts"][0].update({"for": "1h30m"}))
    assert type_alerts("tabular")[0].for_ == "1h30m"
    edit_yaml(alerts, lambda d: d["alerts"][0].update({"for": "30m1h"}))
    with pytest.raises(ConfigError) as refused:
        type_alerts("tabular")
    assert "profiles/tabular/alerts.yaml:alerts.0.for" in str(refused.value) and DURATION_HINT in str(refused.value)
