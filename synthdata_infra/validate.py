"""`synthdata-infra validate`: one gate over a folder of generated modules.

Checks, each per module:
- conventions: the child-module rules (no provider block or backend, provider versions as a
  `>=` range, no cdktf metadata, no absolute paths) and, for workloads, a default-deny
  NetworkPolicy;
- terraform: `terraform init` + `validate` where the module's provider can be installed (the
  machine's provider mirror in TF_PROVIDER_MIRROR, or any provider without a mirror);
- checkov: the project's .checkov.yaml with its custom checks (Pod Security fields on every
  container, ...);
- promtool: `promtool check rules` on every rules file, and `promtool test rules` of each data
  type's cases (profiles/<type>/alerts_test.yml) against the rules the modules ship.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from synthdata_infra.components.platform.charts import NODE_HOST_PATHS
from synthdata_infra.config import project_root
from synthdata_infra.errors import ConfigError

CHECKS = ("conventions", "terraform", "checkov", "promtool")
_ABSOLUTE = re.compile(r'"(/(?:work|tmp|root|home|Users)/[^"]*)"')


@dataclass(frozen=True)
class Finding:
    module: str
    check: str
    result: str  # pass | fail | skipped
    detail: str = ""


def parse_skip(text: str | None) -> set[str]:
    skip = {part.strip() for part in (text or "").split(",") if part.strip()}
    unknown = sorted(skip - set(CHECKS))
    if unknown:
        raise ConfigError("--skip", ",".join(unknown), f"expected a comma-separated list of {', '.join(CHECKS)}")
    return skip


def module_folders(out: Path) -> list[Path]:
    if not out.is_dir():
        raise ConfigError("--out", str(out), "expected a folder of generated modules (run synthdata-infra synth)")
    folders = sorted(p.parent for p in out.glob("*/*/versions.tf.json"))
    if not folders:
        raise ConfigError("--out", str(out), "expected module folders <layer>/<name>/ with versions.tf.json")
    return folders


def validate(out: Path, skip: set[str] = frozenset()) -> list[Finding]:
    folders = module_folders(out)
    findings: list[Finding] = []
    if "conventions" not in skip:
        findings += [conventions(out, folder) for folder in folders]
    if "terraform" not in skip:
        findings += terraform_checks(out, folders)
    if "checkov" not in skip:
        findings += checkov_checks(out, folders)
    if "promtool" not in skip:
        findings += promtool_checks(out)
    return findings


def _name(out: Path, folder: Path) -> str:
    return str(folder.relative_to(out))


def conventions(out: Path, folder: Path) -> Finding:
    problems = []
    documents = {}
    for name in ("main.tf.json", "variables.tf.json", "outputs.tf.json", "versions.tf.json"):
        text = (folder / name).read_text()
        documents[name] = json.loads(text)
        if '"//"' in text:
            problems.append(f"{name} holds cdktf metadata (\"//\")")
        if "provider" in documents[name]:
            problems.append(f"{name} configures a provider")
        absolute = next((m for m in _ABSOLUTE.finditer(text) if not m.group(1).startswith(NODE_HOST_PATHS)), None)
        if absolute:
            problems.append(f"{name} holds an absolute path {absolute.group(1)}")
    terraform = documents["versions.tf.json"].get("terraform", {})
    if "backend" in terraform or "cloud" in terraform:
        problems.append("versions.tf.json configures a backend")
    for provider, requirement in terraform.get("required_providers", {}).items():
        if not str(requirement.get("version", "")).startswith(">="):
            problems.append(f"provider {provider} is pinned to {requirement.get('version')!r}, not a >= range")
    resources = documents["main.tf.json"].get("resource", {})
    if "kubernetes_deployment_v1" in resources:
        policies = resources.get("kubernetes_network_policy_v1", {}).values()
        if not any(p["spec"].get("pod_selector") == {} and set(p["spec"].get("policy_types", [])) == {"Ingress", "Egress"}
                   and not p["spec"].get("ingress") and not p["spec"].get("egress") for p in policies):
            problems.append("no default-deny NetworkPolicy (empty pod selector, Ingress and Egress, no rules)")
    return Finding(_name(out, folder), "conventions", "fail" if problems else "pass", "; ".join(problems))


def _provider_sources(folder: Path) -> list[str]:
    versions = json.loads((folder / "versions.tf.json").read_text())
    return [spec["source"] for spec in versions["terraform"].get("required_providers", {}).values()]


def terraform_checks(out: Path, folders: list[Path]) -> list[Finding]:
    if not shutil.which("terraform"):
        return [Finding("*", "terraform", "fail", "terraform is not on PATH")]
    mirror = os.environ.get("TF_PROVIDER_MIRROR")
    findings = []
    with tempfile.TemporaryDirectory(prefix="synthdata-validate-") as scratch:
        env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_PLUGIN_CACHE_DIR": f"{scratch}/plugins"}
        os.makedirs(env["TF_PLUGIN_CACHE_DIR"])
        if mirror:
            config = Path(scratch) / "terraformrc"
            config.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n')
            env["TF_CLI_CONFIG_FILE"] = str(config)
        for folder in folders:
            name = _name(out, folder)
            missing = [s for s in _provider_sources(folder) if mirror and not (Path(mirror) / "registry.terraform.io" / s).is_dir()]
            if missing:
                findings.append(Finding(name, "terraform", "skipped", f"{', '.join(missing)} not in the provider mirror"))
                continue
            work = Path(scratch) / name.replace("/", "-")
            shutil.copytree(folder, work, ignore=shutil.ignore_patterns("examples", ".terraform*"))
            for args in (["init", "-backend=false", "-input=false", "-no-color"], ["validate", "-no-color"]):
                done = subprocess.run(["terraform", *args], cwd=work, env=env, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    detail = (done.stderr or done.stdout).strip().splitlines()
                    findings.append(Finding(name, "terraform", "fail", f"terraform {args[0]}: " + " ".join(detail[:6])))
                    break
            else:
                findings.append(Finding(name, "terraform", "pass"))
    return findings


def checkov_binary() -> str | None:
    for candidate in (os.environ.get("CHECKOV"), shutil.which("checkov"), str(project_root() / ".venv-checkov" / "bin" / "checkov")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def checkov_scan(out: Path) -> subprocess.CompletedProcess[str] | None:
    """checkov over ``out`` with the project's .checkov.yaml and custom checks, its JSON report on
    stdout; None when checkov is not installed."""
    binary = checkov_binary()
    if not binary:
        return None
    root = project_root()
    command = [binary, "-d", str(out.resolve()), "--skip-download", "-o", "json"]
    if (root / ".checkov.yaml").is_file():
        command += ["--config-file", str(root / ".checkov.yaml")]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)


def checkov_checks(out: Path, folders: list[Path], done: subprocess.CompletedProcess[str] | None = None) -> list[Finding]:
    """A finding per module folder from checkov's report: ``done`` (a scan of ``out`` already
    made), else a new scan."""
    done = done or checkov_scan(out)
    if done is None:
        return [Finding("*", "checkov", "fail", "checkov is not installed (make test installs it in .venv-checkov)")]
    try:
        reports = json.loads(done.stdout)
    except json.JSONDecodeError:
        return [Finding("*", "checkov", "fail", f"checkov did not report: {done.stderr.strip()[-300:]}")]
    reports = reports if isinstance(reports, list) else [reports]
    failed: dict[str, list[str]] = {}
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            module = _module_of(out, check["file_abs_path"], folders)
            failed.setdefault(module, []).append(f"{check['check_id']} {check['resource']}")
        for error in report.get("results", {}).get("parsing_errors", []):
            failed.setdefault(_module_of(out, error, folders), []).append("parsing error")
    return [
        Finding(name, "checkov", "fail" if name in failed else "pass", ", ".join(sorted(set(failed.get(name, [])))))
        for name in (_name(out, f) for f in folders)
    ] + [Finding(name, "checkov", "fail", ", ".join(v)) for name, v in failed.items() if name not in {_name(out, f) for f in folders}]


def _module_of(out: Path, path: str, folders: list[Path]) -> str:
    resolved = Path(path).resolve()
    for folder in folders:
        if resolved.is_relative_to(folder.resolve()):
            return _name(out, folder)
    return str(path)


def promtool_checks(out: Path) -> list[Finding]:
    files = sorted(out.glob("*/*/rules/*.rules.yml"))
    if not files:
        return []
    binary = shutil.which("promtool")
    if not binary:
        return [Finding("*", "promtool", "fail", "promtool is not installed (Debian package prometheus)")]
    findings = []
    for path in files:
        done = subprocess.run([binary, "check", "rules", str(path)], capture_output=True, text=True, check=False)
        findings.append(_promtool_finding(f"{path.parent.parent.relative_to(out)}/rules/{path.name}", "promtool", done))
    if any(f.result == "fail" for f in findings):
        return findings + [Finding("profiles/*/alerts_test.yml", "promtool test", "skipped", "a rules file above does not load")]
    return findings + type_rule_test_checks(binary, files[0].parent)


def _promtool_finding(module: str, check: str, done: subprocess.CompletedProcess[str]) -> Finding:
    """pass, or fail with the end of promtool's output on one line."""
    if done.returncode == 0:
        return Finding(module, check, "pass")
    return Finding(module, check, "fail", " ".join((done.stdout + done.stderr).split())[-300:])


def run_type_rule_tests(binary: str, rules: Path, tests: list[dict]) -> subprocess.CompletedProcess[str]:
    """``promtool test rules`` of ``tests`` against the rule files in the folder ``rules``."""
    from synthdata_infra.monitoring.rules import promtool_test_file

    with tempfile.TemporaryDirectory(prefix="synthdata-promtool-") as scratch:
        for path in rules.glob("*.rules.yml"):
            shutil.copy(path, scratch)
        (Path(scratch) / "tests.yml").write_text(promtool_test_file(tests), encoding="utf-8")
        return subprocess.run([binary, "test", "rules", "tests.yml"], cwd=scratch, capture_output=True, text=True, check=False)


def type_rule_test_checks(binary: str, rules: Path) -> list[Finding]:
    """Each data type's promtool cases, run against the rules a monitoring module ships."""
    from synthdata_infra.config import data_types
    from synthdata_infra.monitoring.rules import type_rule_tests

    findings = []
    for kind in data_types():
        done = run_type_rule_tests(binary, rules, type_rule_tests(kind))
        findings.append(_promtool_finding(f"profiles/{kind}/alerts_test.yml", "promtool test", done))
    return findings
