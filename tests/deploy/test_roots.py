"""Root stacks from the real `cdktf synth`: one per service and environment (plus each
environment's monitoring and workspaces roots), with the Terraform Cloud block of the
environment and module calls that match the called modules' inputs.

Expectations are read from environments/*.yaml with PyYAML, not through the code under test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from synthdata_infra import providers
from synthdata_infra.naming import platform_stack
from tests.conftest import REPO, load

ENVIRONMENTS = {path.stem: yaml.safe_load(path.read_text()) for path in sorted((REPO / "environments").glob("*.yaml"))}
SERVICE_ROOTS = [(env, service) for env, data in ENVIRONMENTS.items() for service in data["services"]]


def expected_roots() -> dict[str, tuple[str, str, str]]:
    """root -> (environment, workspace service name, data type)"""
    roots: dict[str, tuple[str, str, str]] = {}
    for env, data in ENVIRONMENTS.items():
        for service in data["services"]:
            roots[f"{service['name']}-{env}"] = (env, service["name"], service["data_type"])
        for provider in sorted({s["provider"] for s in data["services"]}):
            roots[f"monitoring-{provider}-{env}"] = (env, f"monitoring-{provider}", "all")
        if data["services"] and data.get("terraform_cloud"):
            roots[f"workspaces-{env}"] = (env, "workspaces", "all")
    return roots


def root(cdktf_out: Path, name: str) -> dict:
    return json.loads((cdktf_out / "stacks" / name / "cdk.tf.json").read_text())


def test_production_ships_the_seed_services():
    services = {s["name"]: s for s in ENVIRONMENTS["production"]["services"]}
    assert (services["customer-synth"]["data_type"], services["customer-synth"]["provider"], services["customer-synth"]["replicas"]) == ("tabular", "aws", 5)
    assert services["product-images"]["overrides"]["gpu"] == {"type": "nvidia-tesla-v100", "count": 2}
    assert services["marketing-videos"]["overrides"]["gpu"] == {"type": "nvidia-a100", "count": 4}


def test_every_root_is_synthesized_with_its_terraform_cloud_block(cdktf_out):
    roots = expected_roots()
    assert roots, "the environments record no services"
    for name, (env, service, data_type) in roots.items():
        tfc = ENVIRONMENTS[env]["terraform_cloud"]
        cloud = root(cdktf_out, name)["terraform"]["cloud"]
        assert cloud["organization"] == tfc["organization"], name
        workspace = tfc["workspace_name"].format(service=service, environment=env, data_type=data_type)
        assert cloud["workspaces"] == {"name": workspace, "project": tfc["project"]}, name
        assert "backend" not in root(cdktf_out, name)["terraform"]


def test_workspaces_root_tags_each_workspace(cdktf_out):
    for env, data in ENVIRONMENTS.items():
        if not data["services"]:
            continue
        workspaces = root(cdktf_out, f"workspaces-{env}")["resource"]["tfe_workspace"]
        tags = {body["name"]: set(body["tag_names"]) for body in workspaces.values()}
        template = data["terraform_cloud"]["workspace_name"]
        for service in data["services"]:
            name = template.format(service=service["name"], environment=env, data_type=service["data_type"])
            assert tags[name] == {f"service:{service['name']}", f"data-type:{service['data_type']}", f"environment:{env}"}
        # Each platform workspace may read its provider's monitoring state, and nothing else may.
        settings = root(cdktf_out, f"workspaces-{env}")["resource"]["tfe_workspace_settings"]
        providers_used = {service["provider"] for service in data["services"]}
        for key, body in settings.items():
            assert body == {"workspace_id": f"${{tfe_workspace.{key}.id}}", "global_remote_state": False,
                            "remote_state_consumer_ids": [f"${{tfe_workspace.{key.replace('monitoring_', 'platform_', 1)}.id}}"]}
        assert {key.split("_")[1] for key in settings} == {p for p in providers_used if providers.get(p).platform is not None}


@pytest.mark.parametrize("env,service", SERVICE_ROOTS, ids=[f"{s['name']}-{e}" for e, s in SERVICE_ROOTS])
def test_service_root_calls_the_cloud_and_kubernetes_modules(cdktf_out, env, service):
    stack = root(cdktf_out, f"{service['name']}-{env}")
    modules = stack["module"]
    cloud, workload = modules["cloud"], modules["workload"]
    assert cloud["source"] == f"./modules/{service['provider']}/{service['data_type']}"
    assert workload["source"] == f"./modules/kubernetes/{service['data_type']}"
    # the cloud module's outputs feed the workload inputs
    assert workload["node_selector"] == "${module.cloud.node_selector}"
    assert workload["service_account_annotations"] == "${module.cloud.service_account_annotations}"
    # the ConfigMap's storage.cdn_enabled says whether the cloud module made a CDN
    assert workload["cdn_enabled"] == "${module.cloud.cdn_domain_name != null}"
    assert workload["service_name"] == cloud["service_name"] == service["name"]
    overrides = service.get("overrides", {})
    if "memory" in overrides.get("resources", {}):
        assert workload["memory"] == overrides["resources"]["memory"]
    if "gpu" in overrides:
        assert cloud["gpu_model"] == overrides["gpu"]["type"] and workload["gpu_count"] == overrides["gpu"]["count"]
    if "size" in overrides.get("storage", {}):
        assert workload["storage_size"] == overrides["storage"]["size"]
    if "replicas" in service:
        assert workload["replicas"] == workload["min_replicas"] == service["replicas"]
    assert set(stack["terraform"]["required_providers"]) == {service["provider"].replace("gcp", "google").replace("azure", "azurerm"), "kubernetes"}


@pytest.mark.parametrize("name", sorted(expected_roots()))
def test_module_calls_match_the_called_modules(cdktf_out, name):
    """Every input a root passes is declared by the module, every required one is passed, and
    the module is beside the root (what `cdktf deploy` and Terraform Cloud upload)."""
    stack = root(cdktf_out, name)
    for label, call in stack.get("module", {}).items():
        folder = cdktf_out / "stacks" / name / call["source"]
        assert (folder / "main.tf.json").is_file(), (name, label)
        declared = load(folder, "variables.tf.json")["variable"]
        given = {key for key in call if key not in ("source", "//")}
        assert given <= set(declared), (name, label, given - set(declared))
        required = {key for key, body in declared.items() if "default" not in body}
        assert required <= given, (name, label, required - given)


def test_aws_monitoring_root_validates(cdktf_out, tmp_path):
    """With only the AWS provider, a root can be validated here (`-backend=false`: no Terraform Cloud login)."""
    folder = tmp_path / "root"
    shutil.copytree(cdktf_out / "stacks" / "monitoring-aws-production", folder)
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    mirror = os.environ.get("TF_PROVIDER_MIRROR")
    if mirror and not (Path(mirror) / "registry.terraform.io" / "grafana" / "grafana").is_dir():
        # The offline mirror carries the AWS provider only: validate the root without its dashboards import
        # (module.grafana and the grafana provider; tests/monitoring/test_grafana_dashboards.py checks them as JSON).
        stack_file = folder / "cdk.tf.json"
        stack = json.loads(stack_file.read_text())
        assert stack["module"].pop("grafana")["source"].endswith("/aws/grafana")
        assert stack["provider"].pop("grafana") and stack["terraform"]["required_providers"].pop("grafana")
        stack["output"].pop("dashboards")
        stack_file.write_text(json.dumps(stack))
    if mirror:
        (tmp_path / "rc").write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n')
        env["TF_CLI_CONFIG_FILE"] = str(tmp_path / "rc")
    for args in (("init", "-backend=false", "-input=false"), ("validate",)):
        done = subprocess.run(["terraform", *args, "-no-color"], cwd=folder, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def dev_roots(project: Path, tmp_path: Path, edit) -> dict[str, Path]:
    """The roots of the scratch project's dev environment after ``edit`` (in process)."""
    from synthdata_infra.config import load_environment
    from synthdata_infra.deploy.plan import Target, plan_environment
    from synthdata_infra.deploy.synth_roots import add_environment_roots, write_roots
    from tests.conftest import edit_yaml

    edit_yaml(project / "environments" / "dev.yaml", edit)
    plan = plan_environment(load_environment("dev", project))
    return write_roots(lambda app: add_environment_roots(app, plan, Target()), Target(), tmp_path / "stacks", REPO / "modules_out")


@pytest.mark.integration
def test_an_environment_without_terraform_cloud_keeps_state_locally(project, tmp_path):
    """Roots of such an environment get a local backend under .synthdata/state/ (relative to
    the root's folder three levels below the project), and no cloud block or workspaces root."""

    def edit(data: dict) -> None:
        data["terraform_cloud"] = None
        data["services"] = [{"name": "ledger-synth", "data_type": "tabular", "provider": "aws"}]

    written = dev_roots(project, tmp_path, edit)
    platform = [platform_stack("aws", "dev")] if providers.get("aws").platform is not None else []
    assert sorted(written) == sorted(["ledger-synth-dev", "monitoring-aws-dev", *platform])
    for name, folder in written.items():
        terraform = json.loads((folder / "cdk.tf.json").read_text())["terraform"]
        assert "cloud" not in terraform
        assert terraform["backend"] == {"local": {"path": f"../../../.synthdata/state/{name}.tfstate"}}


def test_azure_roots_let_the_managed_prometheus_scrape(project, tmp_path):
    """AKS's metrics add-on scrapes from kube-system: the Azure root opens the metrics port to it."""
    written = dev_roots(project, tmp_path, lambda d: d.update(services=[{"name": "speech", "data_type": "audio", "provider": "azure"}]))
    stack = json.loads((written["speech-dev"] / "cdk.tf.json").read_text())
    assert stack["module"]["workload"]["monitoring_namespace"] == "kube-system"
    assert stack["module"]["cloud"]["resource_group_name"] == yaml.safe_load((project / "environments" / "dev.yaml").read_text())["clusters"]["azure"]["resource_group"]


def test_destroy_keeps_what_the_cloud_module_retains_unless_asked(project, tmp_path):
    """`destroy` forgets the retention guard and what it protects (so they outlive the destroy);
    `destroy --delete-data` passes the inputs that let the module delete them."""
    from synthdata_infra.deploy.engine import retained_addresses
    from synthdata_infra.deploy.plan import Target

    written = dev_roots(project, tmp_path, lambda d: d.update(services=[{"name": "ledger-synth", "data_type": "tabular", "provider": "aws"}]))
    kept = retained_addresses(written["ledger-synth-dev"], "aws/tabular")
    guard = load(REPO / "modules_out" / "aws" / "tabular", "main.tf.json")["resource"]["terraform_data"]["retention_guard"]
    assert kept == [f"module.cloud.{a}" for a in guard["depends_on"]] + ["module.cloud.terraform_data.retention_guard"]
    assert "module.cloud.aws_s3_bucket.data_bucket" in kept and "module.cloud.aws_kms_key.encryption_key" in kept

    from synthdata_infra.config import load_environment
    from synthdata_infra.deploy.plan import plan_environment

    (service,) = plan_environment(load_environment("dev", project)).services
    assert "retain_data_on_destroy" not in service.cloud_inputs(Target())  # the module's default: keep
    deleting = service.cloud_inputs(Target(delete_data=True))
    assert (deleting["retain_data_on_destroy"], deleting["force_destroy"]) == (False, True)


def test_version_and_metadata_reach_the_image_labels_and_cloud_tags(project, tmp_path):
    """A service's version picks its image tag; its metadata becomes labels on its Kubernetes
    objects and tags (GCP: labels) on its cloud resources, and nothing of another root."""
    metadata = {"team": "data-platform", "cost-center": "cc-42"}
    providers_and_types = {"aws": "tabular", "gcp": "image", "azure": "audio", "onprem": "text"}

    def edit(data: dict) -> None:
        data["services"] = [
            {"name": f"svc-{provider}", "data_type": kind, "provider": provider, "version": "1.2.0", "metadata": metadata}
            for provider, kind in providers_and_types.items()
        ]
        data["clusters"]["onprem"] = {"context": "lab", "storage_provisioner": "rook-ceph.rbd.csi.ceph.com"}

    written = dev_roots(project, tmp_path, edit)
    stacks = {name: json.loads((folder / "cdk.tf.json").read_text()) for name, folder in written.items()}
    for provider, kind in providers_and_types.items():
        workload = stacks[f"svc-{provider}-dev"]["module"]["workload"]
        assert workload["image"] == f"ghcr.io/synthdata/synthdata-{kind}:1.2.0"
        assert workload["labels"].items() >= metadata.items()
    (aws_tags,) = [block["tags"] for block in stacks["svc-aws-dev"]["provider"]["aws"][0]["default_tags"]]
    assert aws_tags.items() >= metadata.items() and aws_tags["synthdata:service"] == "svc-aws"
    assert stacks["svc-gcp-dev"]["module"]["cloud"]["labels"].items() >= metadata.items()
    assert stacks["svc-azure-dev"]["module"]["cloud"]["tags"].items() >= metadata.items()
    for name, stack in stacks.items():
        if name.startswith("monitoring-"):  # shared by every service of the environment
            assert "data-platform" not in json.dumps(stack), name


def test_gcp_roots_let_managed_collection_scrape(project, tmp_path):
    """GKE managed collection scrapes from gmp-system: the GCP root opens the metrics port to it."""
    written = dev_roots(project, tmp_path, lambda d: d.update(services=[{"name": "pictures", "data_type": "image", "provider": "gcp"}]))
    stack = json.loads((written["pictures-dev"] / "cdk.tf.json").read_text())
    assert stack["module"]["workload"]["monitoring_namespace"] == "gmp-system"
def test_each_provider_root_wires_secrets_scraping_keda_and_ingress(project, tmp_path):
    """Per provider: the SecretStore provider (or on premises the environment's ClusterSecretStore)
    authenticating as the service's own account, the scrape object kind, KEDA's Prometheus and
    ClusterTriggerAuthentication, the collectors' namespace, and the Ingress host <service>.<domain>."""
    providers_and_types = {"aws": "tabular", "gcp": "image", "azure": "audio", "onprem": "text"}

    def edit(data: dict) -> None:
        data["services"] = [{"name": f"svc-{provider}", "data_type": kind, "provider": provider} for provider, kind in providers_and_types.items()]
        data["clusters"]["onprem"] = {"context": "lab", "secret_store": "vault-backend", "storage_provisioner": "rook-ceph.rbd.csi.ceph.com"}

    written = dev_roots(project, tmp_path, edit)
    stacks = {name: json.loads((folder / "cdk.tf.json").read_text()) for name, folder in written.items()}
    env = yaml.safe_load((project / "environments" / "dev.yaml").read_text())
    workloads = {provider: stacks[f"svc-{provider}-dev"]["module"]["workload"] for provider in providers_and_types}
    for provider, workload in workloads.items():
        assert workload["ingress_host"] == f"svc-{provider}.{env['domain']}"
    assert {p: w.get("scrape_kind") for p, w in workloads.items()} == {
        "aws": "ServiceMonitor", "gcp": "PodMonitoring", "azure": "PodMonitor", "onprem": None,  # on-prem: the monitoring module's ServiceMonitor
    }  # fmt: skip
    assert {p: w.get("monitoring_namespace") for p, w in workloads.items()} == {
        "aws": None, "gcp": "gmp-system", "azure": "kube-system", "onprem": None,  # None: the module's default, monitoring
    }  # fmt: skip
    assert {p: w.get("keda_authentication") for p, w in workloads.items()} == {
        "aws": "synthdata-prometheus", "gcp": "synthdata-prometheus", "azure": "synthdata-prometheus", "onprem": None,
    }  # fmt: skip
    assert [p for p, w in workloads.items() if w.get("allow_gke_metadata_server")] == ["gcp"]

    aws, gcp, azure, onprem = (workloads[p] for p in ("aws", "gcp", "azure", "onprem"))
    region = env["regions"]["aws"]
    assert aws["secret_store_provider"] == {
        "aws": {"service": "SecretsManager", "region": region, "auth": {"jwt": {"serviceAccountRef": {"name": "svc-aws"}}}}
    }
    assert aws["secret_keys"] == "${module.cloud.secret_arns}"
    assert aws["prometheus_aws_region"] == region
    assert aws["prometheus_url"].startswith(f"https://aps-workspaces.{region}.amazonaws.com/workspaces/${{one([for index, alias in ")
    assert 'if alias == "synthdata-dev"])}' in aws["prometheus_url"]
    assert stacks["svc-aws-dev"]["data"]["aws_prometheus_workspaces"]["monitoring"]["alias_prefix"] == "synthdata-dev"

    cluster = env["clusters"]["gcp"]
    assert gcp["secret_store_provider"]["gcpsm"] == {
        "projectID": cluster["project"],
        "auth": {
            "workloadIdentity": {
                "clusterLocation": cluster["location"], "clusterName": cluster["name"], "clusterProjectID": cluster["project"],
                "serviceAccountRef": {"name": "svc-gcp"},
            }
        },
    }  # fmt: skip
    assert gcp["secret_keys"] == '${{for name, id in module.cloud.secret_ids : name => element(split("/", id), 3)}}'
    assert gcp["prometheus_url"] == f"https://monitoring.googleapis.com/v1/projects/{cluster['project']}/location/global/prometheus"

    assert azure["secret_store_provider"] == {
        "azurekv": {
            "authType": "WorkloadIdentity",
            "vaultUrl": "${module.cloud.key_vault_uri}",
            "tenantId": "${data.azurerm_client_config.current.tenant_id}",
            "serviceAccountRef": {"name": "svc-azure"},
        }
    }
    assert "current" in stacks["svc-azure-dev"]["data"]["azurerm_client_config"]
    assert "secret_keys" not in azure  # the service's own vault holds the secrets under the profile's names
    assert azure["prometheus_url"] == "${data.azurerm_monitor_workspace.monitoring.query_endpoint}"
    lookup = stacks["svc-azure-dev"]["data"]["azurerm_monitor_workspace"]["monitoring"]
    assert (lookup["name"], lookup["resource_group_name"]) == ("synthdata-dev", env["clusters"]["azure"]["resource_group"])

    assert onprem["cluster_secret_store"] == "vault-backend" and "secret_store_provider" not in onprem
    assert onprem["secret_keys"] == {"model-registry-credentials": "synthdata/dev/svc-onprem/model-registry-credentials", "encryption-keys": "synthdata/dev/svc-onprem/encryption-keys"}
    assert onprem["prometheus_url"] == "http://prometheus-operated.monitoring.svc:9090"


def test_the_aws_root_picks_the_monitoring_workspace_by_its_exact_alias(project, tmp_path):
    """AMP's alias_prefix also matches longer aliases (synthdata-dev2 for synthdata-dev): real
    Terraform evaluates the root's KEDA serverAddress over what the lookup returns."""
    written = dev_roots(project, tmp_path, lambda d: d.update(services=[{"name": "ledger", "data_type": "tabular", "provider": "aws"}]))
    url = json.loads((written["ledger-dev"] / "cdk.tf.json").read_text())["module"]["workload"]["prometheus_url"]
    folder = tmp_path / "console"
    folder.mkdir()
    found = {"aliases": ["synthdata-dev2", "synthdata-dev"], "workspace_ids": ["ws-other", "ws-dev"]}
    (folder / "main.tf.json").write_text(json.dumps({"locals": {"found": found}, "output": {"url": {"value": url.replace("data.aws_prometheus_workspaces.monitoring", "local.found")}}}))
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": os.devnull}
    for args in (("init", "-backend=false", "-input=false"), ("apply", "-auto-approve", "-input=false"), ("output", "-raw", "url")):
        done = subprocess.run(["terraform", *args, "-no-color"], cwd=folder, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-dev"
