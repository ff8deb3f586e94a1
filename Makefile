# gongyi: the targets people reach for. Every target installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STAGE ?= prod
ROLE ?= donor
ORG ?=
SUB ?=

include web/web.mk

.PHONY: run test test-tools unit integration e2e lint format typecheck package token bench clean pay import venv

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP) web-build  ## local stack with demo data on http://127.0.0.1:8000
	@$(BIN)/python -m scripts.local_stack run

test: lint typecheck web-build web-browser test-tools  ## lint, type-check, build the console, then the whole suite (slow tests and browser journeys included)
	@$(BIN)/python -m pytest -n 2 --dist loadgroup -q tests

# Tools the receipt tests read PDFs with: pdftoppm rasterizes a 三证 page, zbarimg decodes its QR code.
test-tools:
	@command -v pdftoppm >/dev/null && command -v zbarimg >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "test: installing poppler-utils and zbar-tools (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils zbar-tools >/dev/null; \
	  else echo "test: pdftoppm/zbarimg are missing: run 'sudo apt-get install -y poppler-utils zbar-tools'"; exit 1; fi; }

unit: $(STAMP)
	@$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	@$(BIN)/python -m pytest -q tests/integration

e2e: $(STAMP)
	@$(BIN)/python -m pytest -q tests/e2e

lint: $(STAMP)  ## ruff check + ruff format --check over the whole tree; docs/api.md up to date
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/python -m scripts.build_api_doc --check

format: $(STAMP)
	@$(BIN)/ruff format . && $(BIN)/ruff check --fix .

typecheck: $(STAMP)  ## mypy over chalicelib, infra and scripts (zero errors)
	@$(BIN)/mypy chalicelib infra scripts

token: $(STAMP)  ## print a local token: make -s token ROLE=org_admin ORG=<id>
	@$(BIN)/python -m scripts.local_stack token --role $(ROLE) $(if $(ORG),--org $(ORG)) $(if $(SUB),--sub $(SUB))

package: $(STAMP)  ## build/<stage>/sam.json + deployment.zip, checked by cfn-lint
	@rm -rf build/$(STAGE) && mkdir -p build/$(STAGE)
	@$(BIN)/python -m infra.build --stage $(STAGE) --out build/$(STAGE)-merge-template.json
	@set -a && eval "$$($(BIN)/python -m infra.stage_env $(STAGE))" && set +a && \
	  AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-cn-north-1} $(BIN)/chalice package --stage $(STAGE) --merge-template build/$(STAGE)-merge-template.json build/$(STAGE)
	@$(BIN)/python -m infra.slim_zip build/$(STAGE)/deployment.zip
	@$(BIN)/cfn-lint build/$(STAGE)/sam.json && echo "cfn-lint: build/$(STAGE)/sam.json is clean"

bench: $(STAMP)  ## benchmarks; results land in bench/results/
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache

DONATION ?=
pay: $(STAMP)  ## pay a pending donation on the local stack (WeChat/Alipay through the provider simulator, or sandbox): make pay DONATION=<id>
	@test -n "$(DONATION)" || { echo "usage: make pay DONATION=<donation id>"; exit 2; }
	@$(BIN)/python -m scripts.pay $(DONATION)

import: $(STAMP)  ## import a donations file on the local stack: make import FILE=samples/imports/donations_utf8.csv ORG=<org_id>
	@test -n "$(FILE)" -a -n "$(ORG)" || { echo "usage: make import FILE=<path> ORG=<org_id>"; exit 2; }
	@$(BIN)/python -m scripts.import_file --file "$(FILE)" --org "$(ORG)"

# -- compliance ----------------------------------------------------------------------------------
NAME ?=
AS_OF ?=
.PHONY: job
job: $(STAMP)  ## run a compliance job on the local stack: make job NAME=feedback_sweep [AS_OF=2026-12-01T00:00:00+08:00]
	@test -n "$(NAME)" || (echo "usage: make job NAME=<feedback_sweep|reminders|end_dates|certificates|monthly_report> [AS_OF=...]" && exit 2)
	@$(BIN)/python -m scripts.job $(NAME) $(if $(AS_OF),--as-of $(AS_OF))

# -- deploy (docs/deploy.md lists the manual steps before and after) -------------------------------
ARTIFACTS_BUCKET ?=
REGION ?= cn-north-1
ALARM_EMAIL ?=
ALARM_HTTPS_ENDPOINT ?=
.PHONY: deploy
deploy:  ## package, upload and deploy: make deploy STAGE=prod ARTIFACTS_BUCKET=<bucket in REGION> [ALARM_EMAIL=...]
	@test -n "$(ARTIFACTS_BUCKET)" || { echo "usage: make deploy STAGE=<dev|prod> ARTIFACTS_BUCKET=<S3 bucket in $(REGION)> [REGION=cn-north-1] [ALARM_EMAIL=ops@example.cn] [ALARM_HTTPS_ENDPOINT=https://...]"; exit 2; }
	@command -v aws >/dev/null || { echo "the AWS CLI (aws) is needed: https://aws.amazon.com/cli/"; exit 2; }
	@$(MAKE) -s package STAGE=$(STAGE)
	aws cloudformation package --region $(REGION) --template-file build/$(STAGE)/sam.json \
	  --s3-bucket $(ARTIFACTS_BUCKET) --s3-prefix gongyi-$(STAGE) --output-template-file build/$(STAGE)/packaged.yaml
	aws cloudformation deploy --region $(REGION) --template-file build/$(STAGE)/packaged.yaml \
	  --stack-name gongyi-$(STAGE) --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
	  --parameter-overrides AlarmEmail=$(ALARM_EMAIL) AlarmHttpsEndpoint=$(ALARM_HTTPS_ENDPOINT)
	aws cloudformation describe-stacks --region $(REGION) --stack-name gongyi-$(STAGE) --query "Stacks[0].Outputs" --output table
