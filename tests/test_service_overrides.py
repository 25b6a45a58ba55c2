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
