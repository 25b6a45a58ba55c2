"""Patterns checked twice (synthdata_infra/patterns.py): the models and the generated modules'
validations (Terraform's RE2) give the same verdict on every value."""

from __future__ import annotations

import json
import subprocess
import tempfile

import pytest
import yaml
from pydantic import ValidationError

from synthdata_infra.config.environment import Environment, GcpCluster, ServiceEntry
from synthdata_infra.patterns import EMAIL_RULE, GCP_PROJECT_ID_RULE, hcl_regex, pinned_image, pinned_tag
from synthdata_infra.synth.workload_module import _image_validation
from tests.conftest import REPO

DIGEST = "@sha256:" + "a" * 64
PINNED = (
    "ghcr.io/acme/generator:1.4.0",
    "generator:1.4.0",
    "registry.example.com:5000/acme/generator:2",  # a registry with a port
    "acme/generator" + DIGEST,
    "acme/generator:1.4.0" + DIGEST,  # tag and digest
    "generator:latest" + DIGEST,  # the digest pins it
)
UNPINNED = (
    "generator",  # no tag
    "generator:latest",
    "registry.example.com:5000/acme/generator",  # the port is not a tag
    "registry.example.com:5000/acme/generator:latest",
    "acme//generator:1",  # an empty path component
    "/generator:1",
    "generator:1 ",
    "gen erator:1",
    "generator:-1",  # a tag starts with a letter, digit or _
    "generator@sha256:abc",  # a short digest
    "generator:a:b",
)
PROJECTS = {"my-project-123": True, "abcdef": True, "ab": False, "My-project": False, "project-": False, "1project": False, "a" * 31: False}


def terraform_verdicts(expression: str, values) -> dict[str, bool]:
    """``expression`` (with ``v`` for the value) evaluated by Terraform for each value."""
    with tempfile.TemporaryDirectory() as empty:  # no configuration around the console
        console = subprocess.run(
            ["terraform", "console"],
            input=f"jsonencode({{for v in {json.dumps(list(values))} : v => {expression}}})",
            cwd=empty,
            capture_output=True,
            text=True,
            check=False,
        )
    assert console.returncode == 0, console.stderr
    return json.loads(json.loads(console.stdout))


def test_the_workload_module_and_the_environment_file_accept_the_same_images():
    condition = _image_validation("image")["condition"]
    verdicts = terraform_verdicts(condition[2:-1].replace("var.image", "v"), PINNED + UNPINNED)
    assert verdicts == {value: pinned_image(value) for value in PINNED + UNPINNED}
    assert [value for value in PINNED + UNPINNED if pinned_image(value)] == list(PINNED)


def test_tags():
    assert [pinned_tag(tag) for tag in ("1.4.0", "v2_rc.1", "latest", "", "-1", "a/b", "x" * 129)] == [True, True, False, False, False, False, False]


def test_gcp_project_ids_are_judged_alike_by_the_modules_and_the_environment_file():
    assert terraform_verdicts(f"can(regex({hcl_regex(GCP_PROJECT_ID_RULE)}, v))", PROJECTS) == PROJECTS
    for project, valid in PROJECTS.items():
        try:
            GcpCluster(name="c", project=project, location="us-central1")
        except ValidationError as error:
            assert not valid and error.errors()[0]["loc"] == ("project",), project
        else:
            assert valid, project


@pytest.mark.parametrize("image", UNPINNED)
def test_an_unpinned_image_is_an_environment_error(image):
    with pytest.raises(ValidationError, match="explicit tag or @sha256 digest"):
        ServiceEntry(name="svc", data_type="tabular", provider="aws", image=image)


# The environment file's alert_email used to accept an address without a dot in its domain,
# which the GCP and Azure monitoring modules refuse at plan time.
EMAILS = {"ops@example.com": True, "a.b+c@mail.example.org": True, "ops@localhost": False, "ops example@x.io": False, "ops\t@x.io": False, "@x.io": False, "ops@": False}


def test_alert_emails_are_judged_alike_by_the_monitoring_modules_and_the_environment_file():
    assert terraform_verdicts(f"can(regex({hcl_regex(EMAIL_RULE)}, v))", EMAILS) == EMAILS
    document = yaml.safe_load((REPO / "environments" / "dev.yaml").read_text())
    for email, valid in EMAILS.items():
        try:
            Environment.model_validate({**document, "alert_email": email})
        except ValidationError as error:
            assert not valid and error.errors()[0]["loc"] == ("alert_email",), email
        else:
            assert valid, email
