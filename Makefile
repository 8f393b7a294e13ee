# logsift: `make run [SERVER=opensearch-2]` (demo on an embedded or a real server, no stack needed) and `make test` (everything).
SHELL := /bin/bash
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
SHARED ?= ../shared

.PHONY: all build release run check test test-rust accuracy bench memory venv clean

all: build

build:
	$(CARGO) build

release:
	$(CARGO) build --release

# A local, git-ignored Python environment with the test server (osmem-server) and peers.
$(VENV)/.stamp: tools/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r tools/requirements.txt
	touch $@

venv: $(VENV)/.stamp

# The demo (tools/demo.sh): a server on a free port, bundled samples, `logsift run --once` per source.
# SERVER=osmem (default: osmem-server, in memory, fast) or any kind of tools/search-server/start
# (opensearch-2, opensearch-3, elasticsearch-7, elasticsearch-8: a real node, needs Java).
SERVER ?= osmem
run: release venv
	SERVER=$(SERVER) VPY=$(VPY) tools/demo.sh

# Formatting, lints (warnings are errors) and the engine's own tests (no Python, no server).
check:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test -p logsift-engine --release

# Everything: the engine's tests, the logsift unit tests and the integration binary (tests/it,
# which starts osmem-server from .venv), then the dashboards.
test: venv
	$(CARGO) test --release --workspace
	$(MAKE) test-dashboards

# Template accuracy on the bundled labelled samples (tools/accuracy.py; uses ../shared/tools/eval.py when present).
accuracy: release
	$(PYTHON) tools/accuracy.py --bin target/release/logsift

bench:
	$(CARGO) bench -p logsift-engine --bench engine

# Peak RSS of `logsift cluster --format summary` on 1M vs 5M generated lines (tools/memory.py).
memory: release
	$(PYTHON) tools/memory.py --bin target/release/logsift --shared $(SHARED)

clean:
	$(CARGO) clean
	rm -rf $(VENV)

# Dashboards (kibana/): render every Vega chart against real data to target/dashboards/*.png.
NPM ?= npm
DASH := tools/dashboards
.PHONY: dashboards test-dashboards

$(DASH)/node_modules/.stamp: $(DASH)/package.json $(DASH)/package-lock.json
	cd $(DASH) && $(NPM) ci --no-audit --no-fund
	touch $@

# The charts are drawn from what `logsift run --once` writes (tools/dashboards/load.mjs).
dashboards: venv release $(DASH)/node_modules/.stamp
	LOGSIFT_BIN=target/release/logsift node $(DASH)/render.mjs

# Uses the release binary `cargo test --release` left (building it only when missing).
test-dashboards: venv $(DASH)/node_modules/.stamp
	test -x target/release/logsift || $(CARGO) build --release
	LOGSIFT_BIN=target/release/logsift node --test $(DASH)/

# HTTP API throughput/latency: `logsift serve` + wrk, 16 connections, real Loghub message mix.
.PHONY: bench-api bench-api-busy
# Classify latency while `logsift run` labels a 100k-document backlog (8 connections).
bench-api-busy: release venv
	$(VPY) bench/api/busy.py --docs $(or $(DOCS),100000) --conns $(or $(CONNS),8)

bench-api: release
	bench/api/run.sh $(or $(DURATION),20s) $(or $(CONNS),16)
