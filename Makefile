# logsift: `make run` (demo on an embedded server, no stack needed) and `make test` (everything).
SHELL := /bin/bash
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
SHARED ?= ../shared

.PHONY: all build release run test test-rust accuracy bench memory venv clean

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

# The embedded default (tools/demo.sh): osmem-server on a free port, bundled samples, `logsift run --once`.
run: release venv
	VPY=$(VPY) tools/demo.sh

test: venv
	$(CARGO) test --release

# Template accuracy on the bundled labelled samples (tools/accuracy.py; uses ../shared/tools/eval.py when present).
accuracy: release
	$(PYTHON) tools/accuracy.py --bin target/release/logsift

bench: release
	$(CARGO) bench --bench engine

# Peak RSS of `logsift cluster --format summary` on 1M vs 5M generated lines (tools/memory.py).
memory: release
	$(PYTHON) tools/memory.py --bin target/release/logsift --shared $(SHARED)

clean:
	$(CARGO) clean
	rm -rf $(VENV)

# HTTP API throughput/latency: `logsift serve` + wrk, 16 connections, real Loghub message mix.
.PHONY: bench-api
bench-api: release
	bench/api/run.sh $(or $(DURATION),20s) $(or $(CONNS),16)
