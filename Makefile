# The two commands: `make run` and `make test`. Both set up what is missing first (tools/setup.sh).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
ADDR ?= 127.0.0.1:3000
LOGS := $(TARGET_DIR)/test-logs

.PHONY: run test bench bench-prototype bench-goals bench-scale soak setup models site site-release test-rust test-e2e fmt clean

## Set up, build the release site and server, and serve on $(ADDR).
run: setup site-release
	cargo build --release -p ips-server
	IPS_SITE_ROOT=target/site $(TARGET_DIR)/release/ips serve --addr $(ADDR)

## Set up, then every crate's tests and the browser tests, then one summary line.
test: setup
	@mkdir -p $(LOGS)
	@rm -f $(LOGS)/*
	$(MAKE) --no-print-directory test-rust
	$(MAKE) --no-print-directory test-e2e
	@python3 tools/test-summary.py $(LOGS)

## Benchmarks (release build): the corpus run's wall time, stages and peak memory; how right
## its grouping is against the labels, thresholds chosen on the tuning half; the influencer
## page's server time for a run with 1,000 creators.
bench: setup
	cargo bench -p ips-core --features test-support --bench corpus_run
	cargo bench -p ips-core --features test-support --bench real_size_ads
	cargo bench -p ips-core --features test-support --bench quality
	cargo bench -p ips-server --bench report_render

## The prototype's method (../shared/tools/prototype_method.py, ~15-20 minutes) and the corpus
## run one after the other, and the ratio of their wall times. Makes the prototype's Python
## environment the first time (~3 GB from PyPI, outside the clone).
bench-prototype: setup
	tools/bench-prototype.sh

## Issue #18's goals in one sitting (~30 minutes): bench-prototype, the real-size ads, and CLIP
## f32/bf16 against PyTorch eager/bf16 autocast (in the prototype's Python environment).
bench-goals: bench-prototype
	cargo bench -p ips-core --features test-support --bench real_size_ads
	CLIP_BENCH_VENV=$${IPS_PROTOTYPE_VENV:-/var/cache/ips/prototype-venv} bash bench/clip_speed.sh

## The pgmq work queue's overhead: 2,000 tasks of a fixed sleep, 1/2/4/8 worker processes on a
## throwaway PostgreSQL (~2 minutes); then the replay corpus embedded and with 1 and 2
## `ips worker`s (~10 minutes). Release builds with `postgres` (~25 minutes cold).
bench-scale: setup
	cargo bench -p ips-core --features postgres --bench scale
	cargo bench -p ips-server --features postgres --bench scale_corpus

## Bounded load test (release build): 50 concurrent readers of report pages while runs write.
soak: setup
	cargo bench -p ips-server --bench soak

setup:
	tools/setup.sh

models:
	python3 tools/fetch-models.py

site:
	tools/build-site.sh debug

site-release:
	tools/build-site.sh release

test-rust:
	@mkdir -p $(LOGS)
	cargo test --workspace --features ips-core/test-support,ips-server/postgres 2>&1 | tee $(LOGS)/cargo-test.log

test-e2e: site
	# The same build as test-rust's (same features), so nothing is compiled twice.
	cargo test --workspace --features ips-core/test-support,ips-server/postgres --no-run
	cd end2end && IPS_E2E_JSON=$(abspath $(LOGS))/e2e.json npx playwright test

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf end2end/test-results end2end/artifacts
