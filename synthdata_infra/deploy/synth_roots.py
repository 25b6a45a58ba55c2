"""Synthesize root stacks into folders Terraform runs in (``<outdir>/stacks/<root>/``)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from synthdata_infra.deploy.plan import EnvironmentPlan, ServicePlan, Target

# moto deviates from AWS after an apply (it adds remote_access to node groups, a launch-template
# tag specification, and rewrites CloudFront's origin); the local target ignores those fields so
# a re-apply changes only what the user changed. moto cannot update a node group in place either
# (no DescribeUpdate), so there a new node pool size replaces the node group.
LOCAL_AWS_OVERRIDE = {
    "aws_eks_node_group": {
        "nodes_node_group": {
            "lifecycle": {
                "ignore_changes": ["scaling_config[0].desired_size", "remote_access", "update_config"],
                "replace_triggered_by": ["terraform_data.local_node_pool_size"],
            }
        }
    },
    "aws_launch_template": {"nodes_launch_template": {"lifecycle": {"ignore_changes": ["tag_specifications"]}}},
    "aws_cloudfront_distribution": {
        "cdn_distribution": {
            "lifecycle": {
                "ignore_changes": ["origin", "default_cache_behavior[0].forwarded_values", "viewer_certificate[0].ssl_support_method"]
            }
        }
    },
}


LOCAL_NODE_POOL_SIZE = {"input": ["${var.node_min_size}", "${var.node_max_size}"]}


def local_main(module_dir: Path) -> str:
    """The copied module's ``main.tf.json`` for the local target, lifecycle settings merged in.

    Terraform ignores ``replace_triggered_by`` in override files, so the copy is edited
    instead; the committed module is untouched."""
    main = json.loads((module_dir / "main.tf.json").read_text())
    resources = main.get("resource", {})
    for kind, blocks in LOCAL_AWS_OVERRIDE.items():
        for name, body in blocks.items():
            if name in resources.get(kind, {}):
                lifecycle = resources[kind][name].setdefault("lifecycle", {})
                for key, values in body["lifecycle"].items():
                    existing = list(lifecycle.get(key, []))
                    lifecycle[key] = existing + [value for value in values if value not in existing]
    if "aws_eks_node_group" in resources:
        resources.setdefault("terraform_data", {})["local_node_pool_size"] = LOCAL_NODE_POOL_SIZE
    return json.dumps(main, indent=2, sort_keys=True) + "\n"


def add_environment_roots(app, plan: EnvironmentPlan, target: Target, services: set[str] | None = None) -> list:
    """Every root of ``plan`` (or only the named services' roots, and the monitoring and platform roots).
    The local target has no platform roots: no cluster answers there."""
    from synthdata_infra.deploy.roots import build_monitoring_root, build_platform_root, build_service_root, build_workspaces_root

    stacks = [build_service_root(app, service, target) for service in plan.services if services is None or service.name in services]
    stacks += [build_monitoring_root(app, plan.environment, provider, types, target) for provider, types in plan.monitoring.items()]
    if not target.local:
        stacks += [build_platform_root(app, plan.environment, provider, target) for provider in plan.platforms]
    if plan.environment.terraform_cloud is not None and plan.services and not target.local:
        stacks.append(build_workspaces_root(app, plan))
    return stacks


def copy_root_modules(stacks: list, outdir: Path, modules_out: Path, target: Target) -> None:
    """Put the modules each synthesized root calls beside it (``<outdir>/stacks/<root>/modules``)."""
    from synthdata_infra.deploy.roots import copy_modules

    for stack in stacks:
        folder = outdir / "stacks" / stack.node.id
        extra = {}
        if target.local:
            extra = {m: {"main.tf.json": local_main(modules_out / m)} for m in stack.modules if m.startswith("aws/") and m != "aws/monitoring"}
        copy_modules(folder, stack.modules, modules_out, extra)


def write_roots(build, target: Target, outdir: Path, modules_out: Path) -> dict[str, Path]:
    """Synthesize the stacks ``build(app)`` adds and write each as ``<outdir>/<root>/``:
    ``cdk.tf.json`` and ``modules/``; anything else there (state, .terraform) is kept."""
    from synthdata_infra.cdk import App

    written: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="synthdata-roots-") as staging:
        app = App(outdir=staging, skip_validation=True)
        stacks = build(app)
        app.synth()
        copy_root_modules(stacks, Path(staging), modules_out, target)
        for stack in stacks:
            name = stack.node.id
            source, folder = Path(staging) / "stacks" / name, outdir / name
            folder.mkdir(parents=True, exist_ok=True)
            if (folder / "modules").exists():
                shutil.rmtree(folder / "modules")
            if (source / "modules").is_dir():
                shutil.copytree(source / "modules", folder / "modules")
            temporary = folder / "cdk.tf.json.tmp"
            temporary.write_text((source / "cdk.tf.json").read_text(), encoding="utf-8")
            os.replace(temporary, folder / "cdk.tf.json")
            written[name] = folder
    return written


def service_and_monitoring(
    plan: EnvironmentPlan, service: ServicePlan, target: Target, types: tuple[str, ...] | None = None, *, platform: bool = False
):
    """A builder for the roots one deploy applies: the local cluster (local target) or the
    Terraform Cloud workspaces (with their tags), the service's, then its provider's
    monitoring (for ``types``, default: the environment's), and with ``platform`` its provider's
    platform root (not on the local target: no cluster answers there)."""

    def build(app) -> list:
        from synthdata_infra import providers
        from synthdata_infra.deploy.roots import build_monitoring_root, build_platform_root, build_service_root, build_workspaces_root

        stacks = []
        if target.local:
            stacks.append(providers.get(service.provider).local_cluster_root(app, plan.environment, target))
        elif plan.environment.terraform_cloud is not None:
            stacks.append(build_workspaces_root(app, plan))
        stacks.append(build_service_root(app, service, target))
        covered = types or plan.monitoring.get(service.provider, (service.data_type,))
        stacks.append(build_monitoring_root(app, plan.environment, service.provider, covered, target))
        if platform and not target.local and providers.get(service.provider).platform is not None:
            stacks.append(build_platform_root(app, plan.environment, service.provider, target))
        return stacks

    return build
