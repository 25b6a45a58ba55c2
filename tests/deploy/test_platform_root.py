"""The platform root (``platform-<provider>-<env>``): one per provider and environment, applied by
`deploy` after the monitoring root (before it where the monitoring module needs the platform's
CRDs, as on premises) and before the service; on a new cluster in two steps (the ClusterIssuer's
CRD comes with cert-manager's chart), afterwards in one; never on the local target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthdata_infra import providers
from synthdata_infra.errors import ConfigError
from synthdata_infra.naming import monitoring_stack, platform_stack, workspaces_stack
from tests.conftest import REPO, edit_yaml

CSI = "rook-ceph.rbd.csi.ceph.com"
ONPREM_SERVICE = {"name": "notes", "data_type": "text", "provider": "onprem"}


def dev_plan(project: Path, edit):
    from synthdata_infra.config import load_environment
    from synthdata_infra.deploy.plan import plan_environment

    edit_yaml(project / "environments" / "dev.yaml", edit)
    return plan_environment(load_environment("dev", project))


def onprem_dev(data: dict, **cluster) -> None:
    data["services"] = [ONPREM_SERVICE]
    data["clusters"]["onprem"] = {"context": "lab", **cluster}


def roots(plan, tmp_path: Path, target=None) -> dict[str, dict]:
    from synthdata_infra.deploy.plan import Target
    from synthdata_infra.deploy.synth_roots import add_environment_roots, write_roots

    target = target or Target()
    written = write_roots(lambda app: add_environment_roots(app, plan, target), target, tmp_path / "stacks", REPO / "modules_out")
    return {name: json.loads((folder / "cdk.tf.json").read_text()) for name, folder in written.items()}


def test_the_onprem_platform_root_calls_the_platform_module_with_the_environments_settings(project, tmp_path):
    plan = dev_plan(project, lambda d: onprem_dev(d, storage_provisioner=CSI, storage_parameters={"synthdata-fast-ssd": {"pool": "ssd"}}))
    stacks = roots(plan, tmp_path)
    name = platform_stack("onprem", "dev")
    assert name in stacks and name in plan.stacks
    root = stacks[name]
    module = root["module"]["platform"]
    assert module["source"] == "./modules/onprem/platform"
    assert (module["storage_provisioner"], module["storage_parameters"]) == (CSI, {"synthdata-fast-ssd": {"pool": "ssd"}})
    assert module["acme_email"] == "synthdata-alerts-dev@example.com"  # no acme_email: the alert address
    assert module["enable_crds"] == "${var.enable_crds}" and root["variable"]["enable_crds"]["default"] is True
    assert root["provider"]["helm"] == [{"kubernetes": {"config_context": "lab", "config_path": "~/.kube/config"}}]
    assert set(root["terraform"]["required_providers"]) == {"kubernetes", "helm"}
    assert "terraform_remote_state" not in json.dumps(root)  # on-prem reads nothing of the monitoring root
    # Its own Terraform Cloud workspace, created by the workspaces root like every other root's.
    assert root["terraform"]["cloud"]["workspaces"]["name"] == "synthdata-platform-onprem-dev"
    assert "platform_onprem_dev" in stacks[workspaces_stack("dev")]["resource"]["tfe_workspace"]


def test_acme_email_wins_over_the_alert_address(project, tmp_path):
    def edit(data: dict) -> None:
        onprem_dev(data, storage_provisioner=CSI)
        data["acme_email"] = "pki@example.com"

    assert roots(dev_plan(project, edit), tmp_path)[platform_stack("onprem", "dev")]["module"]["platform"]["acme_email"] == "pki@example.com"


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda d: onprem_dev(d), "clusters.onprem.storage_provisioner"),
        (lambda d: (onprem_dev(d, storage_provisioner=CSI), d.pop("alert_email"), d["config"]["monitoring"]["alerts"].update(channels=[])), "acme_email"),
    ],
    ids=["no CSI driver", "no e-mail"],
)
def test_a_platform_root_without_what_it_needs_is_refused_by_key(project, tmp_path, edit, key):
    with pytest.raises(ConfigError) as raised:
        roots(dev_plan(project, edit), tmp_path)
    assert raised.value.path == f"environments/dev.yaml:{key}"


def test_the_local_target_has_no_platform_root(project, tmp_path):
    from synthdata_infra.deploy.engine import Engine
    from synthdata_infra.deploy.plan import Target

    plan = dev_plan(project, lambda d: onprem_dev(d, storage_provisioner=CSI))
    local = Target(local_endpoint="http://127.0.0.1:1")
    assert not any(name.startswith("platform-") for name in roots(plan, tmp_path, local))
    (service,) = plan.services
    assert not any(name.startswith("platform-") for name in Engine(project)._order(plan, service, local=True))


def test_deploy_order_monitoring_platform_service_or_platform_first_on_premises(project, monkeypatch):
    from synthdata_infra.deploy.engine import Engine

    plan = dev_plan(project, lambda d: onprem_dev(d, storage_provisioner=CSI))
    (service,) = plan.services
    engine = Engine(project)
    # On premises the monitoring module's PrometheusRules need kube-prometheus-stack's CRDs: platform first.
    assert engine._order(plan, service, local=False) == [workspaces_stack("dev"), platform_stack("onprem", "dev"), monitoring_stack("onprem", "dev"), "notes-dev"]
    monkeypatch.setattr(type(providers.get("onprem")), "platform_after_monitoring", True)
    assert engine._order(plan, service, local=False)[1:] == [monitoring_stack("onprem", "dev"), platform_stack("onprem", "dev"), "notes-dev"]


class FakeTerraform:
    """Records what the engine asks Terraform to do with a platform root."""

    def __init__(self, held: list[str]) -> None:
        self.held, self.calls = held, []

    def state_resources(self) -> list[str]:
        return self.held

    def apply(self, *, destroy: bool = False, variables: dict[str, str] | None = None):
        self.calls.append(variables)


@pytest.mark.parametrize(
    ("held", "applies"),
    [([], [{"enable_crds": "false"}, None]), (["module.platform.helm_release.platform_keda"], [None])],
    ids=["new cluster: charts first, then the custom resources", "applied before: one apply"],
)
def test_a_platform_root_is_applied_in_two_steps_only_on_a_new_cluster(project, monkeypatch, held, applies):
    from synthdata_infra.deploy.engine import Engine

    engine = Engine(project)
    fake = FakeTerraform(held)
    monkeypatch.setattr(engine, "_terraform", lambda folder: fake)
    engine._apply_platform(project)
    assert fake.calls == applies


def test_deploy_refuses_an_environment_its_platform_root_cannot_be_built_for_and_writes_nothing(deploy_project):
    from tests.conftest import run_cli
    from tests.deploy.conftest import snapshot

    edit_yaml(deploy_project / "environments" / "dev.yaml", lambda d: d["clusters"].update(onprem={"context": "lab"}))
    before = snapshot(deploy_project)
    for extra in ((), ("--plan-only",)):
        done = run_cli(
            "deploy", "--type", "text", "--name", "notes", "--provider", "onprem", "--environment", "dev", *extra,
            env={"SYNTHDATA_INFRA_ROOT": str(deploy_project)},
        )  # fmt: skip
        assert done.returncode == 2, done.stdout + done.stderr
        assert "environments/dev.yaml:clusters.onprem.storage_provisioner" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(deploy_project) == before
