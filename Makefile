# Quickstart: `make plan` then `make test`. Needs only Python >= 3.11 and make.
PYTHON ?= python3
# The fidelity suite runs the pinned OpenHands server's own code, which needs Python 3.12.
# The first candidate that really runs 3.12 (a pyenv shim can exist without a usable version).
PYTHON312 ?= $(shell for p in python3.12 $(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/3.12*/bin/python); do \
	$$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null && echo $$p && break; done)
STACK ?= dev
FORMAT ?= text
VENV := .venv
FIDELITY_VENV := .venv-fidelity
# The LLM gateway's pinned proxy: Python 3.12 too, apart (its pins clash with openhands-ai's).
GATEWAY_VENV := .venv-gateway
# Agent Canvas's agent server (the version its pinned release runs): Python 3.12, its own pins.
CANVAS_VENV := .venv-canvas
CHECKOV_VENV := .venv-checkov
# The stacks whose Kubernetes manifests `make scan` checks.
CLUSTER_STACKS := staging prod
BUILD := build
CLI := $(VENV)/bin/openhands-zai
# A virtualenv is made anew when its path is anything but a working one (a stale link, a copy
# from another machine): `python -m venv` fails on a dangling link with "File exists".
define fresh_venv
test -x $(1)/bin/python || { rm -rf $(1) && $(2) -m venv $(1); }
endef

.PHONY: plan test lint typecheck fidelity bench bench-scale bench-gateway schema scan package e2e lock ci clean

# Installs say what they do on stderr: stdout stays the command's own (`make plan FORMAT=json | jq`).
$(VENV)/.runtime: requirements.txt requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	@$(call fresh_venv,$(VENV),$(PYTHON))
	@echo "installing requirements.lock (hash-checked) and the bundle into $(VENV)" >&2
	@$(VENV)/bin/python -m pip install -q --require-hashes -r requirements.lock >&2
	@$(VENV)/bin/python -m pip install -q --no-deps -e '.[aws,kubernetes]' >&2
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	@echo "installing requirements-dev.txt into $(VENV)" >&2
	@$(VENV)/bin/python -m pip install -q -r requirements-dev.txt >&2
	@touch $@

# Each Python 3.12 venv takes the locked pip first (e2e/locks/build.txt): the pip 3.12.1 bundles
# refuses hash-checked requirements that name extras (google-api-core[grpc]).
# $(call py312_venv,<venv>,<lock>,<suite>): the venv made if needed, then both locks, hash-checked.
define py312_venv
@test -n "$(PYTHON312)" || { echo "the $(3) suite needs Python 3.12 (set PYTHON312=...)"; exit 2; }
@$(call fresh_venv,$(1),$(PYTHON312))
$(1)/bin/python -m pip install -q --require-hashes -r e2e/locks/build.txt
$(1)/bin/python -m pip install -q --require-hashes -r $(2)
@touch $(1)/.installed
endef

$(FIDELITY_VENV)/.installed: fidelity/requirements.txt e2e/locks/build.txt
	$(call py312_venv,$(FIDELITY_VENV),fidelity/requirements.txt,fidelity)

$(GATEWAY_VENV)/.installed: fidelity/gateway/requirements.txt e2e/locks/build.txt
	$(call py312_venv,$(GATEWAY_VENV),fidelity/gateway/requirements.txt,gateway fidelity)

$(CANVAS_VENV)/.installed: fidelity/canvas/requirements.txt e2e/locks/build.txt
	$(call py312_venv,$(CANVAS_VENV),fidelity/canvas/requirements.txt,Canvas fidelity)

$(CHECKOV_VENV)/.installed: policy/checkov-requirements.txt
	@$(call fresh_venv,$(CHECKOV_VENV),$(PYTHON))
	$(CHECKOV_VENV)/bin/python -m pip install -q -r policy/checkov-requirements.txt
	@touch $@

## plan: plan the $(STACK) stack offline (real program, Pulumi mock engine); stdout is the plan alone.
## A stack with no Pulumi.$(STACK).yaml here plans the template examples/stacks/Pulumi.$(STACK).yaml.
STACK_FILE = $(if $(wildcard Pulumi.$(STACK).yaml),,$(wildcard examples/stacks/Pulumi.$(STACK).yaml))
plan: $(VENV)/.runtime
	@$(CLI) plan --stack $(STACK) --format $(FORMAT) $(if $(STACK_FILE),--config-file $(STACK_FILE))

## test: unit, component (Pulumi mocks) and command-line tests, on two workers
# With Python's bytecode caches: PYTHONDONTWRITEBYTECODE (set on some machines) makes each worker
# and each worker's plan server compile the bundle and the tests from source again.
test: $(VENV)/.dev
	env -u PYTHONDONTWRITEBYTECODE $(VENV)/bin/python -m pytest

## lint: ruff over the code, yamllint and actionlint over the workflows
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/yamllint -s .github/workflows .yamllint.yaml
	$(VENV)/bin/actionlint .github/workflows/*.yml

## typecheck: mypy over the package (components/)
typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy

## package: `pip install .` into fresh virtualenvs: the core alone plans the Docker example, the extras the cluster one
package:
	@rm -rf $(BUILD)/package-venv && mkdir -p $(BUILD)
	@grep -v '^-e' requirements.txt > $(BUILD)/pins.txt
	$(PYTHON) -m venv $(BUILD)/package-venv
	$(BUILD)/package-venv/bin/python -m pip install -q . -c $(BUILD)/pins.txt
	$(BUILD)/package-venv/bin/python tests/package_check.py core $(BUILD)/package-venv
	cd examples/docker-host && ../../$(BUILD)/package-venv/bin/openhands-zai plan --stack dev > /dev/null
	$(BUILD)/package-venv/bin/python -m pip install -q '.[aws,kubernetes]' -c $(BUILD)/pins.txt
	$(BUILD)/package-venv/bin/python tests/package_check.py extras $(BUILD)/package-venv
	cd examples/existing-cluster && ../../$(BUILD)/package-venv/bin/openhands-zai plan --stack staging > /dev/null
	@echo "both examples planned with the installed package"

## e2e: the real OpenHands, deployed as planned, holds conversations with a stand-in Z.AI (root; Docker)
e2e: $(VENV)/.dev
	e2e/run

## fidelity: rendered settings/env checked by the pinned OpenHands, the gateway's config.yaml by the pinned
## LiteLLM proxy, Agent Canvas's seed documents by its agent server (installs all three: ~9 min, 2.5 GB)
fidelity: $(VENV)/.runtime $(FIDELITY_VENV)/.installed $(GATEWAY_VENV)/.installed $(CANVAS_VENV)/.installed
	@mkdir -p $(BUILD)
	$(VENV)/bin/python fidelity/export_rendered.py $(BUILD)/rendered.json
	FIDELITY_RENDERED=$(BUILD)/rendered.json $(FIDELITY_VENV)/bin/python -m pytest -p no:cacheprovider \
		-c fidelity/pytest.ini fidelity --ignore=fidelity/gateway --ignore=fidelity/canvas
	FIDELITY_RENDERED=$(BUILD)/rendered.json $(GATEWAY_VENV)/bin/python -m pytest -p no:cacheprovider \
		-c fidelity/gateway/pytest.ini fidelity/gateway
	FIDELITY_RENDERED=$(BUILD)/rendered.json $(CANVAS_VENV)/bin/python -m pytest -p no:cacheprovider \
		-c fidelity/canvas/pytest.ini fidelity/canvas

## bench: plan wall time against the bare import of pulumi and its provider
bench: $(VENV)/.runtime
	$(VENV)/bin/python bench/plan_speed.py

## bench-scale: plan time for 1, 10 and 50 instances against a flat program registering the same resources
bench-scale: $(VENV)/.runtime
	$(VENV)/bin/python bench/scale.py

## bench-gateway: latency added per request and throughput, through the LLM gateway vs direct to the same stand-in
bench-gateway: $(VENV)/.dev $(GATEWAY_VENV)/.installed
	$(VENV)/bin/python bench/gateway.py --proxy $(GATEWAY_VENV)/bin/litellm

## schema: check Pulumi.yaml's config block against the settings models
schema: $(VENV)/.runtime
	$(CLI) schema

## scan: the cluster stacks' manifests through checkov (its own virtualenv; skips carried by the manifests)
scan: $(VENV)/.runtime $(CHECKOV_VENV)/.installed
	@rm -rf $(BUILD)/manifests
	@for stack in $(CLUSTER_STACKS); do \
		$(CLI) plan --stack $$stack --config-file examples/stacks/Pulumi.$$stack.yaml \
			--format manifests --out $(BUILD)/manifests/$$stack || exit 1; done
	$(VENV)/bin/python policy/checkov_scan.py $(CHECKOV_VENV)/bin/checkov $(BUILD)/manifests

## lock: re-resolve every locked environment from its .in file (uv; needs the package index). The e2e
## images, the fidelity suites and their cache keys follow the .txt files; commit them together.
LOCK_COMPILE = $(VENV)/bin/uv pip compile --quiet --python-version 3.12 --python-platform x86_64-manylinux_2_28 \
	--generate-hashes --custom-compile-command "make lock"
LOCKED = e2e/locks/app e2e/locks/agent e2e/locks/gateway e2e/locks/canvas e2e/locks/build fidelity/requirements \
	fidelity/gateway/requirements fidelity/canvas/requirements
lock: $(VENV)/.dev
	@for lock in $(LOCKED); do echo "$$lock.in -> $$lock.txt"; $(LOCK_COMPILE) $$lock.in -o $$lock.txt || exit 1; done
	@echo "requirements.txt -> requirements.lock"
	@$(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
		--no-emit-package openhands-zai --custom-compile-command "make lock" requirements.txt -o requirements.lock

ci: test fidelity scan

clean:
	rm -rf $(VENV) $(FIDELITY_VENV) $(GATEWAY_VENV) $(CANVAS_VENV) $(CHECKOV_VENV) $(BUILD) .pytest_cache .hypothesis .mypy_cache
