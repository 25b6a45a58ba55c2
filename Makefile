# `make synth` and `make test` are the only two commands a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.2.500
CDKTF_CLI_VERSION := 0.21.0
PIP_QUIET := --quiet --disable-pip-version-check

# Terraform's AWS provider from the machine image's filesystem mirror, when there is one; the
# tests fall back to the public registry when this is empty.
TF_PROVIDER_MIRROR ?= $(shell find / -maxdepth 9 -name 'terraform-provider-aws*' -not -path '/proc/*' 2>/dev/null | head -n1 | sed -E 's#/registry.terraform.io/.*##')
export TF_PROVIDER_MIRROR
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CHECKOV := $(CURDIR)/$(CHECKOV_VENV)/bin/checkov
export CDKTF := $(CURDIR)/.tools/cdktf/node_modules/.bin/cdktf
export CHECKPOINT_DISABLE := 1
# Terraform and its AWS provider are Go programs started thousands of times by the tests, each
# loading the provider's large schema: a lazier garbage collector cuts their CPU by about a third
# (`terraform validate` of an AWS module: 1.7-1.9 s of CPU instead of 2.3-2.9 s) for about 10 %
# more memory per process. Measured on this project's 2-core machines; an environment value wins.
export GOGC ?= 400

.PHONY: synth test install tools clean

# uv (from PyPI, in a venv of its own) installs the venvs: the provider bindings are large wheels
# that pip downloads and unpacks one at a time; uv fetches them in parallel and keeps a cache, so
# a second clone installs from it. The venvs are plain venvs with pip, as before.
UV := .tools/uv/bin/uv
UV_QUIET := --quiet

$(UV):
	$(PYTHON) -m venv .tools/uv
	.tools/uv/bin/pip install $(PIP_QUIET) 'uv>=0.4,<1'

$(VENV)/.installed: pyproject.toml | $(UV)
	$(PYTHON) -m venv $(VENV)
	$(UV) pip install $(UV_QUIET) --python $(VENV)/bin/python -e '.[test]'
	touch $@

# checkov pins dependencies that clash with ours, so it lives in its own venv.
$(CHECKOV_VENV)/.installed: | $(UV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(UV) pip install $(UV_QUIET) --python $(CHECKOV_VENV)/bin/python 'checkov==$(CHECKOV_VERSION)'
	touch $@

install: $(VENV)/.installed

# The real cdktf CLI, to check that `cdktf synth` builds the same stacks.
.tools/cdktf/.installed:
	npm install --silent --no-audit --no-fund --prefix .tools/cdktf 'cdktf-cli@$(CDKTF_CLI_VERSION)'
	touch $@

# promtool and prometheus: Debian's package (root on this project's machines and CI).
/usr/bin/promtool:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null

tools: $(CHECKOV_VENV)/.installed .tools/cdktf/.installed /usr/bin/promtool
	@command -v terraform >/dev/null || { echo "terraform 1.11 is required on PATH" >&2; exit 1; }

synth: install
	$(VENV)/bin/synthdata-infra synth

# The venvs, the cdktf CLI and promtool install side by side (mostly downloads and unpacking).
test:
	$(MAKE) --no-print-directory -j4 install tools
	$(VENV)/bin/python -m pytest

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) cdktf.out .pytest_cache .hypothesis
