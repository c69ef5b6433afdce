# Northwind data platform. The README's two commands are `make synth` and `make test`;
# every target installs what it needs first, and does nothing when it is already installed.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PIPENV_VERSION := 2026.10.3
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_NOSPIN := 1
export PIPENV_VERBOSITY := -1
export PIPENV_IGNORE_VIRTUALENVS := 1
# Node 22 from package.json wins over the machine's Node, so jsii and the cdktf CLI use it.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
# checkov stays offline: no guideline download from its vendor platform.
export BC_SKIP_MAPPING := TRUE
export PYTHONDONTWRITEBYTECODE := 1
# The cdktf CLI and Terraform stay offline: no version check-ins or telemetry.
export CHECKPOINT_DISABLE := 1

PY := pipenv run python
# Test files run in this many processes (each with its own Spark session and synthesized stacks).
TEST_WORKERS ?= 2
STAMP_APP := .venv/.synced
STAMP_POLICY := policy/.venv/.synced
STAMP_NODE := node_modules/.synced

.PHONY: help bootstrap synth test lint pipeline erase-customer bench-etl bench-api bench-synth account-bootstrap state-backend wheelhouse publish-wheelhouse secret-value glue-wheel diff plan apply diagrams diagrams-check bench-new-environment clean tools

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

tools:
	@scripts/require-tools

$(STAMP_APP): Pipfile.lock | tools
	@command -v pipenv >/dev/null || python3 -m pip install --quiet "pipenv==$(PIPENV_VERSION)"
	@echo "==> installing the application environment (pipenv sync --dev)"
	@pipenv sync --dev >/dev/null
	@touch $@

$(STAMP_POLICY): policy/Pipfile.lock | tools
	@command -v pipenv >/dev/null || python3 -m pip install --quiet "pipenv==$(PIPENV_VERSION)"
	@echo "==> installing the policy-scan environment (checkov, kept apart from the app)"
	@cd policy && pipenv sync >/dev/null
	@touch $@

$(STAMP_NODE): package-lock.json | tools
	@echo "==> installing the Node toolchain (cdktf CLI, Node 22)"
	@npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

bootstrap: $(STAMP_APP) $(STAMP_POLICY) $(STAMP_NODE) ## Install every environment (idempotent)

synth: bootstrap ## Main job: synthesize every environment and run the policy gate
	@$(PY) -m scripts.synth $(if $(ENV),--env $(ENV))

test: bootstrap ## Run the whole test suite with etl/ coverage enforced, a file per worker: make test [TEST_WORKERS=2]
	@scripts/require-tools java terraform
	@$(PY) -m scripts.require_postgres
	@$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=10 --cov --cov-report=term --cov-report=xml

lint: $(STAMP_APP) ## ruff over the whole repository
	@pipenv run ruff check .
	@pipenv run ruff format --check .

pipeline: $(STAMP_APP) ## Run the data pipeline end to end on this machine
	@scripts/require-tools java
	@$(PY) -m scripts.require_postgres
	@$(PY) -m etl.pipeline

erase-customer: $(STAMP_APP) ## Erase one customer: make erase-customer CUSTOMER=ALFKI REQUEST=REQ-1 BY="ticket REQ-1" [ENV=prod | DATABASE_URL=...]
	@$(if $(ENV),$(PY) -m scripts.erase_customer "$(ENV)",$(PY) -m etl.erase $(if $(DATABASE_URL),--database-url "$(DATABASE_URL)")) \
		--customer-id "$(CUSTOMER)" --request-id "$(REQUEST)" --requested-by "$(BY)"

bench-etl: $(STAMP_APP) ## Benchmark curation and aggregates against DuckDB (heavy; not a test)
	@scripts/require-tools java
	@$(PY) -m etl.bench

bench-api: $(STAMP_APP) ## Benchmark the analytics API under load with wrk, beside pgbench and /health (heavy; not a test)
	@scripts/require-tools java
	@$(PY) -m scripts.require_postgres
	@$(PY) -m scripts.require_wrk
	@$(PY) -m scripts.bench_api $(BENCH_ARGS)

bench-synth: bootstrap ## Wall time and peak memory of a warm `make synth`
	@scripts/bench-synth

account-bootstrap: $(STAMP_APP) ## Once per account: identity provider, boundaries, break-glass, plan and deploy roles (delivery: the GitHub connection), then the state backend: make account-bootstrap ENV=dev|delivery [SAML_METADATA=idp.xml]
	@$(PY) -m scripts.bootstrap_account "$(ENV)" $(if $(SAML_METADATA),--saml-metadata "$(SAML_METADATA)")
	@$(PY) -m scripts.bootstrap_state "$(ENV)"

bench-new-environment: bootstrap ## Time a fourth environment from nothing to its first plan; estimate the rest
	@$(PY) -m scripts.bench_new_environment

state-backend: $(STAMP_APP) ## Create or verify one account's state bucket and lock table: make state-backend ENV=dev|delivery
	@$(PY) -m scripts.bootstrap_state "$(ENV)"

wheelhouse: $(STAMP_APP) ## Build the analytics service's release wheelhouse (dist/wheelhouse) with locked versions
	@mkdir -p .local dist
	@pipenv requirements | sed -E "s/\[[^]]*\]//" | grep -v "^-" > .local/constraints.txt
	@rm -rf dist/wheelhouse && pipenv run pip wheel --quiet ./api uvicorn -c .local/constraints.txt -w dist/wheelhouse
	@echo "wheelhouse: $$(ls dist/wheelhouse | wc -l) wheels in dist/wheelhouse; publish with make publish-wheelhouse ENV=<env>"

publish-wheelhouse: wheelhouse ## Build and publish the service wheelhouse under its content-hashed key: make publish-wheelhouse ENV=dev
	@$(PY) -m scripts.publish_wheelhouse "$(ENV)"

glue-wheel: $(STAMP_APP) ## Build the etl wheel the Glue jobs install (synth builds it too, once per content)
	@$(PY) -c "from modules.artifacts import built_etl_wheel; w, h = built_etl_wheel(); print(f'etl wheel {h}: {w}')"

secret-value: $(STAMP_APP) ## Set a platform secret's value out of band: make secret-value ENV=dev SECRET=pseudonym-key [ARGS=--generate]
	@$(PY) -m scripts.set_secret "$(ENV)" "$(SECRET)" $(ARGS)

diff: bootstrap ## cdktf diff for one environment, a preview only: make diff ENV=dev
	@stack=$$($(PY) -m environments "$(ENV)") && cdktf diff "$$stack"

plan: bootstrap ## Saved plan and its summary for one stack, as the pipeline makes it: make plan ENV=delivery
	@scripts/require-tools terraform
	@stack=$$($(PY) -m environments "$(ENV)") && $(PY) -m scripts.synth --env "$(ENV)" \
		&& $(PY) -m scripts.promote plan --stack-dir "cdktf.out/stacks/$$stack" --out ".local/plans/$$stack"

apply: bootstrap ## Apply that saved plan once reviewed: make apply ENV=delivery SHA256=<its sha256>
	@scripts/require-tools terraform
	@stack=$$($(PY) -m environments "$(ENV)") && $(PY) -m scripts.promote apply --stack-dir "cdktf.out/stacks/$$stack" \
		--plan-dir ".local/plans/$$stack" --approved-sha256 "$(SHA256)" --out ".local/live/$$stack"

diagrams: ## Render docs/architecture/*.puml to PNG and stamp each with its source's hash
	@scripts/require-tools plantuml
	@python3 -m scripts.diagrams render

diagrams-check: ## Fail when a diagram's PNG was not rendered from its current source (CI runs this)
	@python3 -m scripts.diagrams check

clean: ## Remove generated output (keeps installed environments)
	@rm -rf cdktf.out .pytest_cache .coverage coverage.xml dist
