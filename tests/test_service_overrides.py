"""What a service may override reaches its modules as an input; anything else is refused with the
list of what may be overridden on that provider."""

from __future__ import annotations

import pytest

from synthdata_infra.config import load_environment
from synthdata_infra.config.environment import ServiceEntry
from synthdata_infra.deploy.plan import Target, plan_service, service_input_keys
from synthdata_infra.errors import ConfigError
from synthdata_infra.config import resolve
from tests.conftest import edit_yaml, load


def planned(data_type: str, provider: str, overrides: dict):
    return plan_service(load_environment("production"), ServiceEntry(name="svc", data_type=data_type, provider=provider, overrides=overrides))


def test_model_cache_size_is_a_workload_input():
    assert planned("image", "aws", {}).workload_inputs()["model_cache_size"] == "100Gi"
    assert planned("image", "aws", {"specific": {"model_cache": {"size": "150Gi"}}}).workload_inputs()["model_cache_size"] == "150Gi"
    assert "model_cache_size" not in planned("tabular", "aws", {}).workload_inputs()  # no model cache: no input


@pytest.mark.parametrize(
    "kind,override,name,value",
    [
        ("image", {"model_cache": {"preload_models": ["sdxl"]}}, "preload_models", ["sdxl"]),
        ("image", {"preprocessing": {"workers": 2}}, "preprocessing", {"workers": 2, "batch_size": 32}),
        ("image", {"postprocessing": {"quality": 60}}, "postprocessing", {"compression": "webp", "quality": 60, "cdn_upload": True}),
    ],
)
def test_type_specific_settings_are_workload_inputs(kind, override, name, value):
    assert planned(kind, "gcp", {"specific": override}).workload_inputs()[name] == value
    assert planned(kind, "gcp", {}).workload_inputs()[name] != value


def test_a_type_specific_section_the_profile_lacks_is_refused():
    # tabular's profile has no preprocessing: its workload module has no such input to pass.
    with pytest.raises(ConfigError, match="the tabular profile sets no specific.preprocessing") as refused:
        planned("tabular", "aws", {"specific": {"preprocessing": {"workers": 2, "batch_size": 3}}})
    assert refused.value.path == "overrides.specific.preprocessing"


@pytest.mark.parametrize(
    "kind,override,reason",
    [
        ("image", {"specific": {"model_cache": {"enabled": False}}}, "size the node disks for the type's model cache"),
        ("image", {"security": {"content_filtering": {"enabled": False}}}, "which checkov cannot scan"),
        ("text", {"security": {"content_filtering": {"enabled": True}}}, "which checkov cannot scan"),
    ],
)
def test_a_key_never_per_service_says_why_and_lists_the_others(kind, override, reason):
    with pytest.raises(ConfigError) as refused:
        planned(kind, "aws", override)
    message = str(refused.value)
    assert reason in message and message.endswith("Per service: " + ", ".join(service_input_keys("aws"))) and "\n" not in message


def test_backup_is_per_service_on_aws():
    assert planned("tabular", "aws", {}).cloud_inputs(Target())["enable_backup"] is True
    assert planned("tabular", "aws", {"storage": {"backup_enabled": False}}).cloud_inputs(Target())["enable_backup"] is False


def test_cdn_is_per_service_on_aws():
    assert planned("image", "aws", {}).cloud_inputs(Target())["enable_cdn"] is True
    assert planned("tabular", "aws", {}).cloud_inputs(Target())["enable_cdn"] is False
    assert planned("tabular", "aws", {"storage": {"cdn_enabled": True}}).cloud_inputs(Target())["enable_cdn"] is True
    assert planned("image", "aws", {"storage": {"cdn_enabled": False}}).cloud_inputs(Target())["enable_cdn"] is False


def test_cdn_is_per_service_on_azure_but_not_on_gcp():
    assert planned("image", "azure", {}).cloud_inputs(Target())["enable_cdn"] is True
    assert planned("tabular", "azure", {"storage": {"cdn_enabled": True}}).cloud_inputs(Target())["enable_cdn"] is True
    # GCP's Cloud CDN also needs cdn_domain_name, which deploy does not pass: the override could not take effect.
    with pytest.raises(ConfigError, match="Per service: "):
        planned("image", "gcp", {"storage": {"cdn_enabled": False}})


def test_the_configmap_follows_the_cdn_input(fresh_modules):
    """The workload module writes its cdn_enabled input (the root passes whether the cloud module made a CDN)."""
    for kind in ("image", "tabular"):
        module = fresh_modules / "kubernetes" / kind
        assert load(module, "variables.tf.json")["variable"]["cdn_enabled"]["default"] is resolve(kind, None).storage.cdn_enabled
        (config_map,) = load(module, "main.tf.json")["resource"]["kubernetes_config_map_v1"].values()
        assert "cdn_enabled: ${var.cdn_enabled}\n" in config_map["data"]["policies.yaml"]
    assert planned("tabular", "aws", {"storage": {"cdn_enabled": True}}).workload_inputs()["cdn_enabled"] is True
    assert planned("image", "onprem", {}).workload_inputs()["cdn_enabled"] is True  # on premises: the module's default


@pytest.mark.parametrize(
    "provider,key,reason",
    [
        ("gcp", "backup_enabled", "has no backup to switch (per service on aws)"),
        ("azure", "backup_enabled", "stops checkov scanning the account (per service on aws)"),
        ("gcp", "cdn_enabled", "deploy does not pass: call the module with enable_cdn and cdn_domain_name (per service on aws, azure)"),
    ],
)
def test_a_key_per_service_elsewhere_says_why_not_here_and_where(provider, key, reason):
    with pytest.raises(ConfigError) as refused:
        planned("image", provider, {"storage": {key: False}})
    message = str(refused.value)
    assert refused.value.path == f"overrides.storage.{key}" and "\n" not in message
    assert reason in message and message.endswith("Per service: " + ", ".join(service_input_keys(provider)))


def test_a_key_no_module_takes_lists_what_may_be_overridden():
    with pytest.raises(ConfigError) as refused:
        planned("tabular", "gcp", {"storage": {"backup_enabled": False}})
    assert refused.value.path == "overrides.storage.backup_enabled"
    assert "Per service: " + ", ".join(service_input_keys("gcp")) in str(refused.value)
    assert "storage.backup_enabled" not in service_input_keys("gcp") and "storage.backup_enabled" in service_input_keys("aws")


def test_ingress_is_per_service():
    assert planned("tabular", "aws", {}).workload_inputs()["enable_ingress"] is True
    assert planned("tabular", "gcp", {"networking": {"ingress": {"enabled": False}}}).workload_inputs()["enable_ingress"] is False


def test_an_ingress_the_profile_lacks_cannot_be_switched_on(project):
    edit_yaml(project / "profiles" / "tabular" / "profile.yaml", lambda d: d.setdefault("networking", {}).update(ingress={"enabled": False}))
    assert "enable_ingress" not in planned("tabular", "aws", {}).workload_inputs()  # the module has no such input
    with pytest.raises(ConfigError, match="have no Ingress to switch on") as refused:
        planned("tabular", "aws", {"networking": {"ingress": {"enabled": True}}})
    assert refused.value.path == "overrides.networking.ingress.enabled"


def test_the_cluster_issuer_is_per_service_and_no_other_annotation():
    issuer = "cert-manager.io/cluster-issuer"
    assert planned("tabular", "aws", {}).workload_inputs()["cluster_issuer"] == "letsencrypt"
    overridden = planned("tabular", "aws", {"networking": {"ingress": {"annotations": {issuer: "internal-ca"}}}})
    assert overridden.workload_inputs()["cluster_issuer"] == "internal-ca"
    with pytest.raises(ConfigError) as refused:
        planned("tabular", "aws", {"networking": {"ingress": {"annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "50m"}}}})
    assert refused.value.path == "overrides.networking.ingress.annotations.nginx.ingress.kubernetes.io/proxy-body-size"


def test_an_issuer_without_a_tls_ingress_is_refused(project):
    edit_yaml(project / "profiles" / "tabular" / "profile.yaml", lambda d: d.setdefault("networking", {}).update(ingress={"tls": False}))
    with pytest.raises(ConfigError, match="no TLS Ingress"):
        planned("tabular", "aws", {"networking": {"ingress": {"annotations": {"cert-manager.io/cluster-issuer": "internal-ca"}}}})


# Bounds the node pool is sized by, rounded to whole nodes of a node type that may already meet them:
# a small change can leave the inputs alone (tests/test_every_key.py sees them change the AWS module).
BOUNDS = ("networking.bandwidth", "scaling.min_replicas")


def test_bandwidth_is_refused_on_premises_and_gpu_type_selects_its_nodes():
    with pytest.raises(ConfigError, match="no node type is chosen") as refused:
        planned("image", "onprem", {"networking": {"bandwidth": "25Gbps"}})
    assert "networking.bandwidth" not in str(refused.value).split("Per service: ")[1].split(", ")
    assert planned("image", "onprem", {"gpu": {"type": "nvidia-l4"}}).workload_inputs()["node_selector"] == {"synthdata.io/accelerator": "nvidia-l4"}


@pytest.mark.parametrize("provider", ["aws", "gcp", "azure", "onprem"])
def test_every_key_a_service_sets_reaches_its_inputs_or_is_refused(provider):
    """Walk every key of the model (tests/test_every_key.py's leaves and flips): set for one service,
    it changes the inputs its root passes to the cloud or workload module, or deploy refuses it."""
    from tests.test_every_key import CHECKED, MONITORING_INPUTS, REFUSED, RULES, flipped, model_leaves, nested

    given = {**{path: value for path, (value, _) in MONITORING_INPUTS.items()}, **RULES}

    def inputs(plan) -> dict:
        return {"cloud": plan.cloud_inputs(Target()) if plan.placement else {}, "workload": plan.workload_inputs()}

    silent = []
    for path, (kind, value) in model_leaves().items():
        # Refused for every service (data_type, security switches, ...), or a requirement the placement
        # checks (met: nothing to change; unmet: refused, tested in test_every_key).
        if path in REFUSED or path in CHECKED or path in BOUNDS:
            continue
        try:
            override = nested(path, given[path]) if path in given else flipped(path, kind, value)
            plan = planned(kind, provider, override)
        except ConfigError:
            continue  # refused (the messages are tested above and in test_every_key)
        if inputs(plan) == inputs(planned(kind, provider, {})):
            silent.append(path)
    assert not silent, f"accepted per service on {provider} but no module input changes: {silent}"
