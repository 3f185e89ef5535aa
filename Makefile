# feedpub: `make dev` runs the local pipeline, `make test` runs every test. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .venv-tools
STAMP := $(VENV)/.installed
TOOLS_STAMP := $(TOOLS)/.installed
SYSTEM_STAMP := $(VENV)/.system-packages
NODE_STAMP := node_modules/.installed
CONTENT ?= content
PORT ?= 8080
S3_PORT ?= 4566
PYTEST_ARGS ?=

.PHONY: dev test lint bench soak build clean system-packages tools node-tools sample-audio

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "make: feedpub needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1). Name one: make $(MAKECMDGOALS) PYTHON=python3.12"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# aws-sam-cli, cfn-lint and checkov pin their own boto3: they live in a venv of their own.
$(TOOLS_STAMP): infra/requirements-tools.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet -r infra/requirements-tools.txt
	touch $@

tools: $(TOOLS_STAMP)

# Debian packages the end-to-end tests and benchmarks drive: real readers, a browser, Hugo.
$(SYSTEM_STAMP): $(STAMP)
	bash infra/install-system-packages.sh
	touch $@

system-packages: $(SYSTEM_STAMP)

# Test tools from npm (package-lock.json): the W3C Nu Html Checker for the feeds' pages (run by java).
$(NODE_STAMP): package.json package-lock.json $(SYSTEM_STAMP)
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

node-tools: $(NODE_STAMP)

# `make dev PORT=9000 S3_PORT=9001` when 8080 or 4566 is taken.
dev: $(STAMP)
	$(BIN)/feedpub dev --content $(CONTENT) --port $(PORT) --s3-port $(S3_PORT)

lint: $(STAMP)
	$(BIN)/ruff check --no-cache src handlers tests bench
	$(BIN)/ruff format --check src handlers tests bench
	$(BIN)/mypy

test: $(STAMP) $(TOOLS_STAMP) $(SYSTEM_STAMP) $(NODE_STAMP)
	$(BIN)/ruff check --no-cache src handlers tests bench
	$(BIN)/mypy
	FEEDPUB_TOOLS_BIN=$(abspath $(TOOLS))/bin $(BIN)/python -m pytest -n 2 -m "not soak" $(PYTEST_ARGS)

# The long reliability runs (about an hour here); their figures go to docs/benchmarks.md.
soak: $(STAMP)
	$(BIN)/python -m bench reliability

# Performance figures (offline build vs Hugo, scale vs the naive way, local pipeline latency, rebuilds).
bench: $(STAMP) $(SYSTEM_STAMP)
	$(BIN)/python -m bench offline-build scale local rebuild

# The sample show's episode (content/media/episode-12.mp3 and its test fixture copy): a chime
# synthesised and encoded with LAME (lameenc), never downloaded.
sample-audio: $(STAMP)
	$(BIN)/python -m tests.support.audio content/media/episode-12.mp3
	cp content/media/episode-12.mp3 tests/fixtures/sample-site/media/episode-12.mp3

build: $(STAMP)
	$(BIN)/feedpub build $(CONTENT) --out public

clean:
	rm -rf $(VENV) $(TOOLS) node_modules test-artifacts .aws-sam public .pytest_cache .mypy_cache .ruff_cache .hypothesis
