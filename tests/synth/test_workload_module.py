"""What the Kubernetes workload modules contain, checked on the synthesized JSON against the
profiles (read here independently with PyYAML, not through the code under test)."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from tests.aws.conftest import terraform
from tests.conftest import REPO
from tests.conftest import GPU_TYPES, TYPES, load, resources



def profile(kind: str) -> dict:
    base = yaml.safe_load((REPO / "profiles" / "base.yaml").read_text())
    own = yaml.safe_load((REPO / "profiles" / kind / "profile.yaml").read_text())
    merged = {**base}
    for key, value in own.items():
        merged[key] = {**base[key], **value} if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


def deployment(fresh_modules, kind: str) -> dict:
    (only,) = resources(fresh_modules / "kubernetes" / kind, "kubernetes_deployment_v1").values()
    return only


def pod(fresh_modules, kind: str) -> dict:
    return deployment(fresh_modules, kind)["spec"]["template"]["spec"]


@pytest.mark.parametrize("kind", TYPES)
def test_gpu_requests_and_toleration_only_for_gpu_types(fresh_modules, kind):
    spec = pod(fresh_modules, kind)
    generator = next(c for c in spec["container"] if c["name"] == "generator")
    gpu = profile(kind)["gpu"]
    if kind in GPU_TYPES:
        assert generator["resources"]["limits"]["nvidia.com/gpu"] == "${var.gpu_count}"
        assert generator["resources"]["requests"]["nvidia.com/gpu"] == "${var.gpu_count}"
        variables = load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]
        assert variables["gpu_count"]["default"] == gpu["count"]
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec["toleration"]
        variables = load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]
        assert variables["node_selector"]["default"] == {"synthdata.io/accelerator": gpu["type"]}
    else:
        assert gpu is None
        assert "nvidia.com/gpu" not in json.dumps(generator["resources"])
        assert "gpu_count" not in load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]
        assert "toleration" not in spec


@pytest.mark.parametrize("kind", TYPES)
def test_requests_and_limits_are_inputs_defaulting_to_the_profile(fresh_modules, kind):
    generator = next(c for c in pod(fresh_modules, kind)["container"] if c["name"] == "generator")
    variables = load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]
    wanted = profile(kind)["resources"]
    for side in ("requests", "limits"):
        assert generator["resources"][side]["cpu"] == "${var.cpu}"
        assert generator["resources"][side]["memory"] == "${var.memory}"
    assert variables["cpu"]["default"] == str(wanted["cpu"])
    assert variables["memory"]["default"] == wanted["memory"]


@pytest.mark.parametrize("kind", TYPES)
def test_content_filter_sidecar_only_for_media_types(fresh_modules, kind):
    names = [c["name"] for c in pod(fresh_modules, kind)["container"]]
    variables = load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]
    if kind in GPU_TYPES:
        assert names == ["generator", "content-filter"]
        assert "default" not in variables["content_filter_image"]
    else:
        assert names == ["generator"]
        assert "content_filter_image" not in variables


@pytest.mark.parametrize("kind", TYPES)
def test_every_container_is_restricted(fresh_modules, kind):
    spec = pod(fresh_modules, kind)
    assert spec["security_context"]["run_as_non_root"] is True
    assert spec["security_context"]["seccomp_profile"]["type"] == "RuntimeDefault"
    for container in spec["container"]:
        context = container["security_context"]
        assert context["run_as_non_root"] is True
        assert context["allow_privilege_escalation"] is False
        assert context["privileged"] is False
        assert context["read_only_root_filesystem"] is True
        assert context["capabilities"]["drop"] == ["ALL"]
        assert context["seccomp_profile"]["type"] == "RuntimeDefault"
        assert container["liveness_probe"] and container["readiness_probe"]
        assert container["image"].startswith("${var.") and "latest" not in container["image"]
    mounted = {m["mount_path"] for c in spec["container"] for m in c["volume_mount"]}
    assert "/tmp" in mounted and profile(kind)["storage"]["mount_path"] in mounted


@pytest.mark.parametrize("kind", TYPES)
def test_image_inputs_refuse_latest(fresh_modules, kind):
    variables = load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]
    image = variables["image"]
    assert "default" not in image
    (rule,) = image["validation"]
    assert ':latest")' in rule["condition"] and "sha256" in rule["condition"]


@pytest.mark.parametrize("kind", TYPES)
def test_per_pod_volume_has_the_profile_size_and_input_class(fresh_modules, kind):
    (data,) = [v for v in pod(fresh_modules, kind)["volume"] if v["name"] == "data"]
    claim = data["ephemeral"]["volume_claim_template"]["spec"]
    assert claim["resources"]["requests"]["storage"] == "${var.storage_size}"
    variables = load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]
    assert variables["storage_size"]["default"] == profile(kind)["storage"]["size"]
    assert claim["storage_class_name"] == "${var.storage_class_name}"


# Units of the HPA metric each profile trigger maps to, written out independently here:
# CPU/memory as a percentage of requests, DCGM GPU utilisation in percent, the rest as is.
HPA_UNITS = {"cpu_usage": 100, "memory_usage": 100, "gpu_utilization": 100}


def _target_number(target: dict) -> float:
    raw = str(target.get("average_utilization") or target.get("average_value") or target.get("value"))
    return float(raw[:-1]) / 1000 if raw.endswith("m") else float(raw)


@pytest.mark.parametrize("kind", TYPES)
def test_hpa_thresholds_equal_the_profile_triggers(fresh_modules, kind):
    (hpa,) = resources(fresh_modules / "kubernetes" / kind, "kubernetes_horizontal_pod_autoscaler_v2").values()
    metrics = hpa["spec"]["metric"]
    triggers = profile(kind)["scaling"]["triggers"]
    assert len(metrics) == len(triggers)
    for trigger, metric in zip(triggers, metrics):
        block = metric[metric["type"].lower()]
        expected = trigger["threshold"] * HPA_UNITS.get(trigger["metric"], 1)
        assert _target_number(block["target"]) == pytest.approx(expected), trigger
    assert hpa["spec"]["min_replicas"] == "${var.min_replicas}"
    assert hpa["count"] == "${var.enable_keda ? 0 : 1}"


def test_urgent_gpu_memory_pressure_scales_up_without_delay(fresh_modules):
    (hpa,) = resources(fresh_modules / "kubernetes" / "image", "kubernetes_horizontal_pod_autoscaler_v2").values()
    (scale_up,) = hpa["spec"]["behavior"]["scale_up"]
    assert scale_up["stabilization_window_seconds"] == 0  # the image profile has an urgency: high trigger
    (tabular,) = resources(fresh_modules / "kubernetes" / "tabular", "kubernetes_horizontal_pod_autoscaler_v2").values()
    assert tabular["spec"]["behavior"]["scale_up"][0]["stabilization_window_seconds"] > 0


def manifests(fresh_modules, kind: str) -> dict[str, dict]:
    return resources(fresh_modules / "kubernetes" / kind, "kubernetes_manifest")


@pytest.mark.parametrize("kind", TYPES)
def test_keda_is_the_default_with_prometheus_triggers(fresh_modules, kind):
    keda = manifests(fresh_modules, kind)["autoscaling_keda"]
    assert keda["count"] == "${var.enable_keda ? 1 : 0}"
    variables = load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]
    assert variables["enable_keda"]["default"] is True  # the HPA is the opt-out
    manifest = keda["manifest"]
    assert manifest["kind"] == "ScaledObject" and manifest["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    triggers = manifest["spec"]["triggers"]
    assert len(triggers) == len(profile(kind)["scaling"]["triggers"])
    for trigger, wanted in zip(triggers, profile(kind)["scaling"]["triggers"]):
        # One expression per trigger: awsRegion and authenticationRef only when given.
        assert trigger.startswith('${merge({type = "prometheus", name = "' + wanted["metric"] + '"'), trigger
        assert '"serverAddress" = var.prometheus_url' in trigger
        assert float(trigger.split('"threshold" = "')[1].split('"')[0]) == wanted["threshold"]
        assert "var.prometheus_aws_region == null ? {} : {awsRegion = var.prometheus_aws_region}" in trigger
        assert (
            'var.keda_authentication == null ? {} : {authenticationRef = {name = var.keda_authentication, kind = "ClusterTriggerAuthentication"}}'
            in trigger
        )


@pytest.mark.parametrize("kind", TYPES)
def test_each_profile_secret_is_an_external_secret_the_pod_mounts(fresh_modules, kind):
    secrets = profile(kind)["security"]["secrets"]
    found = manifests(fresh_modules, kind)
    variables = load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]
    store = found["external_secret_store"]
    assert store["manifest"]["kind"] == "SecretStore" and store["manifest"]["apiVersion"] == "external-secrets.io/v1"
    assert store["manifest"]["metadata"]["name"] == "synthdata-secrets"
    assert store["manifest"]["spec"] == {"provider": "${var.secret_store_provider}"}
    assert store["count"] == "${var.enable_external_secrets && var.secret_store_provider != null ? 1 : 0}"
    assert variables["enable_external_secrets"]["default"] is True and variables["secret_store_provider"]["type"] == "any"
    volumes = {v["name"]: v for v in pod(fresh_modules, kind)["volume"]}
    for secret in secrets:
        external = found[f"external_secret_{secret.replace('-', '_')}"]
        manifest = external["manifest"]
        assert (manifest["apiVersion"], manifest["kind"]) == ("external-secrets.io/v1", "ExternalSecret")
        assert manifest["spec"]["target"]["name"] == f"${{var.service_name}}-{secret}"
        assert manifest["spec"]["secretStoreRef"] == {
            "kind": '${var.secret_store_provider != null ? "SecretStore" : "ClusterSecretStore"}',
            "name": '${var.secret_store_provider != null ? "synthdata-secrets" : var.cluster_secret_store}',
        }
        assert manifest["spec"]["data"] == (
            f'${{[{{secretKey = "{secret}", remoteRef = {{key = lookup(var.secret_keys, "{secret}", "{secret}")}}}}]}}'
        )
        assert external["count"] == "${var.enable_external_secrets ? 1 : 0}"
        assert "secret_store_provider" in external["lifecycle"]["precondition"][0]["condition"]
        # The pod mounts what the ExternalSecret writes, and does not start without it.
        volume = volumes[f"secret-{secret}"]["secret"]
        assert volume == {"secret_name": f"${{var.service_name}}-{secret}", "optional": False}


@pytest.mark.parametrize("kind", TYPES)
def test_one_scrape_object_of_the_kind_asked_for(fresh_modules, kind):
    found = manifests(fresh_modules, kind)
    wanted = {
        "scrape_service_monitor": ("monitoring.coreos.com/v1", "ServiceMonitor", "endpoints"),
        "scrape_pod_monitoring": ("monitoring.googleapis.com/v1", "PodMonitoring", "endpoints"),
        "scrape_pod_monitor": ("azmonitoring.coreos.com/v1", "PodMonitor", "podMetricsEndpoints"),
    }
    labels = {"app.kubernetes.io/name": f"synthdata-{kind.replace('_', '-')}", "app.kubernetes.io/instance": "${var.service_name}"}
    for name, (api_version, scrape_kind, endpoints) in wanted.items():
        manifest = found[name]["manifest"]
        assert (manifest["apiVersion"], manifest["kind"]) == (api_version, scrape_kind)
        assert found[name]["count"] == f'${{var.scrape_kind == "{scrape_kind}" ? 1 : 0}}'
        assert manifest["spec"]["selector"] == {"matchLabels": labels}
        assert manifest["spec"][endpoints] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    variable = load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]["scrape_kind"]
    assert variable["default"] is None
    assert 'contains(["ServiceMonitor", "PodMonitoring", "PodMonitor"], var.scrape_kind)' in variable["validation"][0]["condition"]


def test_gke_metadata_server_egress_is_an_input(fresh_modules):
    policy = resources(fresh_modules / "kubernetes" / "image", "kubernetes_network_policy_v1")["network_policy_allow_metadata_server"]
    assert policy["count"] == "${var.allow_gke_metadata_server ? 1 : 0}"
    rules = {(rule["to"][0]["ip_block"]["cidr"], rule["ports"][0]["port"]) for rule in policy["spec"]["egress"]}
    assert rules == {("169.254.169.252/32", "988"), ("169.254.169.254/32", "80")}
    assert load(fresh_modules / "kubernetes" / "image", "variables.tf.json")["variable"]["allow_gke_metadata_server"]["default"] is False


@pytest.mark.parametrize("kind", TYPES)
def test_network_policy_denies_by_default_then_allows(fresh_modules, kind):
    policies = resources(fresh_modules / "kubernetes" / kind, "kubernetes_network_policy_v1")
    deny = policies["network_policy_default_deny"]["spec"]
    assert deny["pod_selector"] == {} and sorted(deny["policy_types"]) == ["Egress", "Ingress"]
    assert "ingress" not in deny and "egress" not in deny
    ports = {
        name: sorted(p["port"] for rule in spec["spec"].get("ingress", []) + spec["spec"].get("egress", []) for p in rule["ports"])
        for name, spec in policies.items()
        if name not in ("network_policy_default_deny", "network_policy_allow_metadata_server")
    }
    assert ports == {
        "network_policy_allow_ingress_controller": ["8080"],
        "network_policy_allow_monitoring": ["9090"],
        "network_policy_allow_dns": ["53", "53"],
        "network_policy_allow_https_egress": ["443"],
    }
    egress = policies["network_policy_allow_https_egress"]["spec"]["egress"][0]["to"]
    assert all(block["ip_block"]["except"] for block in egress), "metadata endpoint must stay blocked"


@pytest.mark.parametrize("kind", TYPES)
def test_pdb_namespace_and_rbac(fresh_modules, kind):
    module = fresh_modules / "kubernetes" / kind
    (pdb,) = resources(module, "kubernetes_pod_disruption_budget_v1").values()
    assert pdb["spec"]["max_unavailable"] == "1"
    (namespace,) = resources(module, "kubernetes_namespace_v1").values()
    assert namespace["metadata"]["labels"].count('"pod-security.kubernetes.io/enforce" = "restricted"') == 1
    (role,) = resources(module, "kubernetes_role_v1").values()
    secrets = profile(kind)["security"]["secrets"]
    rules = {tuple(rule["resources"]): rule for rule in role["rule"]}
    assert set(rules) == ({("configmaps",), ("secrets",)} if secrets else {("configmaps",)})
    for rule in role["rule"]:
        assert rule["verbs"] == ["get", "watch"] and rule["resource_names"], "access must name its objects"
    if secrets:
        assert rules[("secrets",)]["resource_names"] == [f"${{var.service_name}}-{name}" for name in secrets]


@pytest.mark.parametrize("kind", TYPES)
def test_config_map_carries_the_data_policies(fresh_modules, kind):
    (config_map,) = resources(fresh_modules / "kubernetes" / kind, "kubernetes_config_map_v1").values()
    document = yaml.safe_load(config_map["data"]["policies.yaml"])
    wanted = profile(kind)["data_policies"]
    assert document["data_type"] == kind
    assert document["data_policies"]["differential_privacy"]["epsilon"] == wanted["differential_privacy"]["epsilon"]
    assert document["data_policies"]["audit_logging"]["retention_days"] == wanted["audit_logging"]["retention_days"]
    # Each type-specific setting is a service's input (its default the profile's value) or the profile's value.
    defaults = {name: each.get("default") for name, each in load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"].items()}

    def read(value):
        if isinstance(value, dict):
            return {key: read(each) for key, each in value.items()}
        if isinstance(value, str) and value.startswith("${jsonencode(var."):
            name, *path = value.removeprefix("${jsonencode(var.").removesuffix(")}").split(".")
            found = defaults[name]
            for key in path:
                found = found[key]
            return found
        return value

    assert read(document["specific"]) == profile(kind)["specific"]


def test_ingress_is_tls_with_cert_manager_and_optional(fresh_modules):
    (ingress,) = resources(fresh_modules / "kubernetes" / "tabular", "kubernetes_ingress_v1").values()
    # enable_ingress: the profile's networking.ingress.enabled, which a service may override
    assert ingress["count"] == "${var.enable_ingress && var.ingress_host != null ? 1 : 0}"
    assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "${var.cluster_issuer}"}
    assert ingress["spec"]["tls"][0]["hosts"] == ["${var.ingress_host}"]
    variables = load(fresh_modules / "kubernetes" / "tabular", "variables.tf.json")["variable"]
    assert variables["ingress_host"]["default"] is None
    assert variables["enable_ingress"]["default"] is profile("tabular")["networking"]["ingress"]["enabled"] is True


# --- values that were hard-coded and are inputs now, with the old values as defaults ---------

# The content-filter sidecar's sizing before it became an input, written out independently.
FILTER_SIZING = {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}


@pytest.mark.parametrize("kind", TYPES)
def test_cluster_issuer_is_an_input_defaulting_to_the_profile(fresh_modules, kind):
    ingress = profile(kind)["networking"]["ingress"]
    variables = load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]
    assert ingress["enabled"] and ingress["tls"], "every profile has a TLS ingress today; test the other path when one does not"
    (created,) = resources(fresh_modules / "kubernetes" / kind, "kubernetes_ingress_v1").values()
    assert created["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "${var.cluster_issuer}"
    issuer = variables["cluster_issuer"]
    assert issuer["default"] == ingress["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt"
    assert issuer["type"] == "string" and issuer["nullable"] is False and issuer["validation"]


@pytest.mark.parametrize("kind", TYPES)
def test_model_cache_size_is_an_input_defaulting_to_the_profile(fresh_modules, kind):
    cache = profile(kind)["specific"].get("model_cache")
    variables = load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]
    volumes = {volume["name"]: volume for volume in pod(fresh_modules, kind)["volume"]}
    if not (cache and cache["enabled"]):
        assert "model_cache_size" not in variables and "model-cache" not in volumes
        return
    assert volumes["model-cache"]["empty_dir"]["size_limit"] == "${var.model_cache_size}"
    size = variables["model_cache_size"]
    assert size["default"] == cache["size"]
    assert size["type"] == "string" and size["nullable"] is False and size["validation"]


@pytest.mark.parametrize("kind", TYPES)
def test_content_filter_resources_are_an_input_with_the_former_sizing(fresh_modules, kind):
    variables = load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]
    containers = {container["name"]: container for container in pod(fresh_modules, kind)["container"]}
    if not profile(kind)["security"]["content_filtering"]["enabled"]:
        assert "content_filter_resources" not in variables and "content-filter" not in containers
        return
    variable = variables["content_filter_resources"]
    assert variable["default"] == FILTER_SIZING and variable["nullable"] is False
    assert len(variable["validation"]) == 2  # cpu, memory
    resources_ = containers["content-filter"]["resources"]
    for side, sizes in FILTER_SIZING.items():
        for name, value in sizes.items():
            assert resources_[side][name] == f"${{var.content_filter_resources.{side}.{name}}}"
            # Each field falls back on its own, so a caller overrides one limit alone.
            assert f'{name} = optional(string, "{value}")' in variable["type"]


# Values each new input must refuse at plan time, and the variable the error must name.
REFUSED = [
    ("model_cache_size", "0Gi"),
    ("model_cache_size", "10GB"),
    ("cluster_issuer", "Lets_Encrypt"),
    ("scrape_kind", "Prometheus"),
    ("keda_authentication", "Synthdata_Prometheus"),
    ("content_filter_resources", {"limits": {"cpu": "0"}}),
    ("content_filter_resources", {"requests": {"memory": "lots"}}),
]
REQUIRED = {"service_name": "video-synth", "image": "registry.example.com/video:1.0.0", "content_filter_image": "registry.example.com/filter:1.0.0"}


@pytest.fixture(scope="module")
def video_inputs(tmp_path_factory):
    """The video workload module's variables alone, with outputs echoing the new inputs:
    real Terraform evaluates their types, defaults and validations without a cluster."""
    folder = tmp_path_factory.mktemp("video-inputs")
    (folder / "variables.tf.json").write_text((REPO / "modules_out" / "kubernetes" / "video" / "variables.tf.json").read_text())
    names = ("model_cache_size", "cluster_issuer", "content_filter_resources")
    (folder / "echo.tf.json").write_text(json.dumps({"output": {name: {"value": f"${{var.{name}}}"} for name in names}}))
    # No provider to install: an empty CLI configuration.
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": os.devnull}
    init = terraform(env, folder, "init", "-input=false", "-backend=false")
    assert init.returncode == 0, init.stderr

    def plan(**values):
        # A variables file: a -var value of a string input is taken literally ("null" included).
        (folder / "given.tfvars.json").write_text(json.dumps({**REQUIRED, **values}))
        return terraform(env, folder, "plan", "-input=false", "-refresh=false", "-var-file=given.tfvars.json")

    return plan


@pytest.mark.parametrize(("name", "value"), REFUSED, ids=lambda value: json.dumps(value))
def test_the_new_inputs_refuse_bad_values_at_plan(video_inputs, name, value):
    done = video_inputs(**{name: value})
    assert done.returncode != 0
    assert "Invalid value for variable" in done.stderr, done.stderr
    assert f"\n{name}" in done.stderr, "the error message must start with the input's name"


def test_the_new_inputs_take_partial_overrides_and_fall_back_on_null(video_inputs):
    done = video_inputs(content_filter_resources={"limits": {"memory": "2Gi"}}, model_cache_size=None, cluster_issuer=None)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert 'memory = "2Gi"' in text and 'cpu = "250m"' in text and 'memory = "512Mi"' in text and 'cpu = "1"' in text
    cache = profile("video")["specific"]["model_cache"]["size"]
    assert f'model_cache_size = "{cache}"' in text and 'cluster_issuer = "letsencrypt"' in text


@pytest.mark.parametrize("kind", TYPES)
def test_required_outputs_exist(fresh_modules, kind):
    outputs = load(fresh_modules / "kubernetes" / kind, "outputs.tf.json")["output"]
    assert {"namespace", "service_name", "service_account_name", "endpoint"} <= set(outputs)
    variables = load(fresh_modules / "kubernetes" / kind, "variables.tf.json")["variable"]
    assert {
        "service_name", "namespace", "image", "replicas", "storage_class_name",
        "service_account_annotations", "node_selector", "ingress_host", "enable_keda",
    } <= set(variables)


def test_the_config_map_follows_the_inputs_through_terraform(tmp_path):
    """Real Terraform renders the ConfigMap document from the inputs a service may override; the
    result is YAML the generator reads, defaults first, then overridden values."""
    module = REPO / "modules_out" / "kubernetes" / "video"
    (tmp_path / "variables.tf.json").write_text((module / "variables.tf.json").read_text())
    (config_map,) = resources(module, "kubernetes_config_map_v1").values()
    (tmp_path / "echo.tf.json").write_text(json.dumps({"output": {"policies": {"value": config_map["data"]["policies.yaml"]}}}))
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": os.devnull}
    assert terraform(env, tmp_path, "init", "-input=false", "-backend=false").returncode == 0

    def rendered(**values) -> dict:
        (tmp_path / "given.tfvars.json").write_text(json.dumps({**REQUIRED, **values}))
        applied = terraform(env, tmp_path, "apply", "-input=false", "-auto-approve", "-var-file=given.tfvars.json")
        assert applied.returncode == 0, applied.stderr
        return yaml.safe_load(json.loads(terraform(env, tmp_path, "output", "-json", "policies").stdout))

    wanted = profile("video")
    default = rendered()
    assert default["specific"] == wanted["specific"]
    assert default["storage"]["cdn_enabled"] is wanted["storage"]["cdn_enabled"]
    changed = rendered(
        cdn_enabled=True,
        preload_models=["other"],
        preprocessing={"workers": 2, "batch_size": 8},
        postprocessing={"compression": None, "quality": 50, "cdn_upload": False},
        model_cache_size="20Gi",
    )
    assert changed["storage"]["cdn_enabled"] is True
    assert changed["specific"]["model_cache"] == {"enabled": True, "size": "20Gi", "preload_models": ["other"]}
    assert changed["specific"]["preprocessing"] == {"workers": 2, "batch_size": 8}
    assert changed["specific"]["postprocessing"] == {"compression": None, "quality": 50, "cdn_upload": False}
