"""`status` shows each service's health, read from a real Prometheus that scrapes an exporter
of kube-state-metrics-style series and the services' metrics, with the project's alert rules.

The exporter plays a cluster: the test sets how many replicas each deployment wants, runs and
has ready, and what each service reports; Prometheus scrapes and evaluates every second. After
each change the test waits (with a deadline) until Prometheus's own answers show it, then runs
`status` once in table and JSON form. The expected health follows from the scenario and the
definitions of the states (issue 17), not from the code under test.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest
import requests
import yaml

from synthdata_infra.api import SyntheticDataInfrastructure
from synthdata_infra.deploy.engine import Engine, Record
from synthdata_infra.monitoring.rules import rules_files
from tests.conftest import edit_yaml, run_cli
from tests.prometheus import exporter, free_port, prometheus

ENVIRONMENT = "production"
RECORDS_PER_SCRAPE = 500


@dataclass
class Deployment:
    """What kube-state-metrics would report for one service's deployment, and what the service exports."""

    data_type: str
    floor: int  # the replica count the test records in the environment file
    desired: int
    current: int
    ready: int
    usage: float  # of CPU, or of GPU for a GPU type
    gpu: bool
    exports: bool = True


@dataclass
class Cluster:
    namespace_prefix: str
    services: dict[str, Deployment] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def render(self, scrape: int) -> str:
        lines = []
        with self.lock:
            for name, d in self.services.items():
                where = f'namespace="{self.namespace_prefix}-{name}-{ENVIRONMENT}",deployment="{name}"'
                lines += [
                    f"kube_deployment_spec_replicas{{{where}}} {d.desired}",
                    f"kube_deployment_status_replicas{{{where}}} {d.current}",
                    f"kube_deployment_status_replicas_ready{{{where}}} {d.ready}",
                    f"kube_deployment_status_replicas_available{{{where}}} {d.ready}",
                ]
                if d.exports:
                    service = f'data_type="{d.data_type}",service="{name}"'
                    metric = "synthdata_gpu_usage" if d.gpu else "synthdata_cpu_usage"
                    lines += [
                        f"synthdata_records_generated_total{{{service}}} {RECORDS_PER_SCRAPE * scrape}",
                        f'{metric}{{{service},pod="{name}-0"}} {d.usage}',
                    ]
        return "\n".join(lines) + "\n"

    def change(self, name: str, **values) -> None:
        with self.lock:
            for key, value in values.items():
                setattr(self.services[name], key, value)


def query(url: str, promql: str) -> list[dict]:
    try:
        body = requests.get(f"{url}/api/v1/query", params={"query": promql}, timeout=5).json()
    except requests.ConnectionError:
        return []
    return body["data"]["result"] if body.get("status") == "success" else []


def wait_until(url: str, promql: str, holds, what: str, deadline_seconds: float = 90) -> None:
    """Until ``holds(result)`` of an instant query to Prometheus, or fail saying ``what``."""
    deadline = time.monotonic() + deadline_seconds
    result: list[dict] = []
    while time.monotonic() < deadline:
        result = query(url, promql)
        if holds(result):
            return
        time.sleep(0.5)
    raise AssertionError(f"Prometheus never showed {what} ({promql} -> {result})")


def value_is(expected: float):
    return lambda result: len(result) == 1 and float(result[0]["value"][1]) == expected


def wait_for_world(url: str, cluster: Cluster) -> None:
    """Until every series Prometheus holds is the exporter's current one, and the throughput
    counter of every exporting service has enough samples for a rate."""
    for name, d in cluster.services.items():
        where = f'namespace="{cluster.namespace_prefix}-{name}-{ENVIRONMENT}",deployment="{name}"'
        for metric, expected in (
            ("kube_deployment_spec_replicas", d.desired),
            ("kube_deployment_status_replicas", d.current),
            ("kube_deployment_status_replicas_ready", d.ready),
        ):
            wait_until(url, f"{metric}{{{where}}}", value_is(expected), f"{name}'s {metric} = {expected}")
        counter = f'synthdata_records_generated_total{{service="{name}"}}'
        if d.exports:
            wait_until(url, f"count_over_time({counter}[5m])", lambda r: bool(r) and float(r[0]["value"][1]) >= 3, f"3 samples of {name}'s counter")
            metric = "synthdata_gpu_usage" if d.gpu else "synthdata_cpu_usage"
            wait_until(url, f'{metric}{{service="{name}"}}', value_is(d.usage), f"{name}'s {metric} = {d.usage}")
        else:
            wait_until(url, counter, lambda r: r == [], f"{name}'s metrics gone (stale)")


def status(project: Path, url: str) -> tuple[dict[str, dict], dict[str, str]]:
    """`status` as JSON rows and as the table's line per service."""
    env = {"SYNTHDATA_INFRA_ROOT": str(project)}
    as_json = run_cli("status", "--environment", ENVIRONMENT, "--prometheus-url", url, "--format", "json", env=env)
    as_table = run_cli("status", "--environment", ENVIRONMENT, "--prometheus-url", url, env=env)
    assert as_json.returncode == 0, as_json.stderr
    assert as_table.returncode == 0, as_table.stderr
    rows = {row["service"]: row for row in json.loads(as_json.stdout)}
    lines = {name: next(line for line in as_table.stdout.splitlines() if f" {name} " in line) for name in rows}
    return rows, lines


def critical_alerts_on(metric: str, rule_texts: dict[str, str]) -> set[str]:
    """The project's critical alerts whose expression reads ``metric``."""
    return {
        rule["alert"]
        for text in rule_texts.values()
        for group in yaml.safe_load(text)["groups"]
        for rule in group["rules"]
        if "alert" in rule and rule["labels"]["severity"] == "critical" and metric in rule["expr"]
    }


def without_hold(text: str) -> str:
    """A rules file with every alert's ``for`` set to 0s: the same expressions and labels, firing
    as soon as they hold instead of after minutes the test cannot wait."""
    document = yaml.safe_load(text)
    for group in document["groups"]:
        group.pop("interval", None)
        for rule in group["rules"]:
            if "alert" in rule:
                rule["for"] = "0s"
    return yaml.safe_dump(document, sort_keys=False)


@pytest.fixture
def scenario(project: Path):
    """The production environment's seed services with replica floors the test chose."""
    floors = {"customer-synth": 3, "product-images": 2, "marketing-videos": 2}

    def set_floors(data):
        for entry in data["services"]:
            entry["replicas"] = floors[entry["name"]]

    edit_yaml(project / "environments" / f"{ENVIRONMENT}.yaml", set_floors)
    base = yaml.safe_load((project / "profiles" / "base.yaml").read_text())
    cluster = Cluster(namespace_prefix=base["deployment"]["namespace"])
    entries = yaml.safe_load((project / "environments" / f"{ENVIRONMENT}.yaml").read_text())["services"]
    for entry in entries:
        profile = yaml.safe_load((project / "profiles" / entry["data_type"] / "profile.yaml").read_text())
        floor = floors[entry["name"]]
        cluster.services[entry["name"]] = Deployment(
            entry["data_type"], floor, desired=floor, current=floor, ready=floor, usage=0.4, gpu=bool(profile.get("gpu"))
        )
    return cluster


def test_status_shows_healthy_scaling_degraded_and_down(project: Path, tmp_path: Path, scenario: Cluster):
    types = tuple(sorted({d.data_type for d in scenario.services.values()}))
    rules = {name: without_hold(text) for name, text in rules_files(types).items()}
    cpu_alerts = critical_alerts_on("synthdata_cpu_usage", rules)
    assert cpu_alerts, "the project's rules have a critical alert on CPU use"
    synth = scenario.services["customer-synth"]
    images = scenario.services["product-images"]
    assert not synth.gpu and images.gpu
    scenario.change("product-images", usage=0.85)
    scenario.change("marketing-videos", exports=False)  # its deployment is up, but it reports nothing

    (tmp_path / "prometheus").mkdir()
    with exporter(scenario.render) as port, prometheus(tmp_path / "prometheus", port, rules) as server:
        # healthy: every replica wanted runs and is ready, at the floor, no alert
        wait_for_world(server.url, scenario)
        rows, lines = status(project, server.url)
        row = rows["customer-synth"]
        assert row["health"] == "healthy" and row["health_reason"] == ""
        assert row["replicas"] == {"desired": 3, "current": 3, "ready": 3, "floor": synth.floor}
        assert row["critical_alerts"] == []
        assert row["throughput_per_hour"] > 0 and row["usage"] == 0.4 and row["usage_resource"] == "CPU"
        assert row["status"] == "not deployed" and row["prometheus"] == server.url  # the record is not what health reads
        assert "healthy" in lines["customer-synth"] and "/hour" in lines["customer-synth"] and "40% CPU" in lines["customer-synth"]
        assert rows["product-images"]["health"] == "healthy"
        assert rows["product-images"]["usage"] == 0.85 and "85% GPU" in lines["product-images"]
        # down: the deployment is there, the service's metrics are not
        assert rows["marketing-videos"]["health"] == "down" and "down" in lines["marketing-videos"]

        # scaling: two more replicas wanted and running, not ready yet (still at the floor)
        scenario.change("customer-synth", desired=5, current=5, ready=3)
        wait_for_world(server.url, scenario)
        rows, lines = status(project, server.url)
        assert rows["customer-synth"]["health"] == "scaling"
        assert rows["customer-synth"]["replicas"]["desired"] == 5 and rows["customer-synth"]["replicas"]["ready"] == 3
        assert "scaling" in lines["customer-synth"]

        # degraded: fewer ready than the floor
        scenario.change("customer-synth", desired=3, current=3, ready=synth.floor - 1)
        wait_for_world(server.url, scenario)
        rows, lines = status(project, server.url)
        assert rows["customer-synth"]["health"] == "degraded" and "degraded" in lines["customer-synth"]

        # degraded: all ready, but a critical alert of the project's rules fires for the service
        scenario.change("customer-synth", ready=3, usage=0.97)
        wait_for_world(server.url, scenario)
        firing = 'ALERTS{alertstate="firing",severity="critical",service="customer-synth"}'
        wait_until(server.url, firing, bool, "a critical alert firing for customer-synth")
        rows, lines = status(project, server.url)
        assert rows["customer-synth"]["health"] == "degraded" and "degraded" in lines["customer-synth"]
        assert set(rows["customer-synth"]["critical_alerts"]) <= cpu_alerts and rows["customer-synth"]["critical_alerts"]
        assert rows["customer-synth"]["usage"] == 0.97 and "97% CPU" in lines["customer-synth"]
        assert rows["product-images"]["health"] == "healthy"  # another service's alert is not its own

        # healthy again once the alert resolves; then down: no replica ready
        scenario.change("customer-synth", usage=0.4)
        wait_for_world(server.url, scenario)
        wait_until(server.url, firing, lambda r: r == [], "the alert resolved")
        rows, _ = status(project, server.url)
        assert rows["customer-synth"]["health"] == "healthy"
        scenario.change("customer-synth", ready=0)
        wait_for_world(server.url, scenario)
        rows, lines = status(project, server.url)
        assert rows["customer-synth"]["health"] == "down" and rows["customer-synth"]["replicas"]["ready"] == 0
        assert "down" in lines["customer-synth"]


def test_status_reads_the_recorded_query_endpoint(project: Path, tmp_path: Path, scenario: Cluster):
    """Without --prometheus-url, a service is read from the Prometheus its environment's
    monitoring root recorded at its last deploy; a service of another provider has none."""
    (tmp_path / "prometheus").mkdir()
    with exporter(scenario.render) as port, prometheus(tmp_path / "prometheus", port) as server:
        record = Record(
            service="customer-synth",
            environment=ENVIRONMENT,
            data_type="tabular",
            provider="aws",
            target="cloud",
            result="failed",  # health does not depend on what the last run did
            digest="-",
            at="2026-01-01T00:00:00Z",
            monitoring={"prometheus_endpoint": server.url + "/"},
        )
        path = Engine(project).record_path(ENVIRONMENT, "customer-synth")
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(asdict(record)))
        wait_for_world(server.url, scenario)
        done = run_cli("status", "--environment", ENVIRONMENT, "--format", "json", env={"SYNTHDATA_INFRA_ROOT": str(project)})
        from_api = {s.service_name: s.health for s in SyntheticDataInfrastructure(provider="aws").status(ENVIRONMENT)}
    assert done.returncode == 0, done.stderr
    assert {name: health.state for name, health in from_api.items()} == {
        "customer-synth": "healthy",
        "marketing-videos": "healthy",
        "product-images": "unknown",
    }
    rows = {row["service"]: row for row in json.loads(done.stdout)}
    # marketing-videos runs on AWS too: the same monitoring root serves it
    for name in ("customer-synth", "marketing-videos"):
        assert rows[name]["prometheus"] == server.url and rows[name]["health"] == "healthy"
    assert rows["product-images"]["health"] == "unknown" and "--prometheus-url" in rows["product-images"]["health_reason"]


def test_status_without_an_answering_prometheus_says_unknown_in_one_line(project: Path):
    url = f"http://127.0.0.1:{free_port()}"
    env = {"SYNTHDATA_INFRA_ROOT": str(project)}
    as_json = run_cli("status", "--environment", ENVIRONMENT, "--prometheus-url", url, "--format", "json", env=env)
    as_table = run_cli("status", "--environment", ENVIRONMENT, "--prometheus-url", url, env=env)
    assert as_json.returncode == 0 and as_table.returncode == 0, as_json.stderr + as_table.stderr
    assert "Traceback" not in as_json.stderr + as_table.stderr
    rows = json.loads(as_json.stdout)
    assert rows and all(row["health"] == "unknown" and url in row["health_reason"] for row in rows)
    assert all("\n" not in row["health_reason"] for row in rows)
    assert as_table.stdout.count("unknown (") == len(rows)


@pytest.mark.parametrize(
    ("desired", "current", "ready", "alerts", "exports", "expected"),
    [
        (3, 3, 3, (), True, "healthy"),
        (5, 5, 3, (), True, "scaling"),  # more wanted, not ready yet
        (3, 4, 3, (), True, "scaling"),  # a rollout's surge pod
        (3, 3, 2, (), True, "degraded"),  # below the floor
        (5, 5, 2, (), True, "degraded"),  # scaling, but below the floor: the worse state wins
        (3, 3, 3, ("SomeCriticalAlert",), True, "degraded"),
        (3, 3, 0, ("SomeCriticalAlert",), True, "down"),
        (3, 3, None, (), True, "down"),  # kube-state-metrics has no series for the deployment
        (3, 3, 3, (), False, "down"),  # the service reports nothing
    ],
)
def test_the_worst_state_found_wins(desired, current, ready, alerts, exports, expected):
    """The states' definitions (floor 3), cases the Prometheus scenario above does not drive."""
    from synthdata_infra.deploy.health import classify

    state, reason = classify(desired=desired, current=current, ready=ready, floor=3, alerts=alerts, exports_metrics=exports)
    assert state == expected
    assert (reason == "") == (expected == "healthy")
