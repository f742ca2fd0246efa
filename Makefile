# Quick start: `make run` serves Airtime on http://127.0.0.1:3000, `make test` runs every suite.
# Both install what is missing first (scripts/bootstrap).

SHELL := /bin/bash
# One target dir for the release server, the tests and cargo-leptos, kept outside the checkout so
# a fresh clone (CI) reuses the compiled dependencies.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/airtime/target
# npm's binaryen must win over Debian's wasm-opt, which produces a broken bundle.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# cargo-leptos compiles leptos with this set, and leptos bakes it in (it picks the wasm file
# name from it). `cargo test` rebuilds the same binary, so it must see the same value, or it
# would recompile leptos and leave a server that asks for a wasm file that does not exist.
export LEPTOS_OUTPUT_NAME := airtime
SERVER := $(CARGO_TARGET_DIR)/release/airtime

.PHONY: setup build front test-build run test test-unit test-reliability test-e2e test-load lint bench bench-load fmt clean-data

setup:
	@scripts/bootstrap

build: setup
	cargo leptos build --release

run: build
	$(SERVER) serve

# The WASM bundle and styles only; the tests build the server themselves (below).
front: setup
	cargo leptos build --release --frontend-only

# `cargo test` turns on dev-dependencies, which unify some features of the server's own
# dependencies, so its server binary differs from `cargo leptos build`'s. The tests and the
# end-to-end server share this one build instead of compiling the crate twice.
test-build: front
	cargo test --workspace --release --no-default-features --features ssr --no-run

# The fuzzed-video suite runs on its own so its table is printed (500 files here).
FUZZ_TEST := fuzzed_and_crafted_videos_fail_alone_and_clearly
test-unit: test-build
	cargo test --workspace --release --no-default-features --features ssr -- --skip $(FUZZ_TEST)
	cargo test --release --no-default-features --features ssr --test it $(FUZZ_TEST) -- --nocapture

# The reliability suite in full: 10,000 fuzzed and crafted videos through probe and engine child,
# then 200 guests for 60 s on each database.
test-reliability: test-build
	AIRTIME_FUZZ_FILES=$${AIRTIME_FUZZ_FILES:-10000} cargo test --release --no-default-features --features ssr \
	  --test it $(FUZZ_TEST) -- --nocapture
	$(MAKE) --no-print-directory bench-load

# Load on one server (scripts/bench-load prints the table). `make test` runs a short one.
LOAD_DATABASES := sqlite postgres
bench-load: test-build
	@for db in $(LOAD_DATABASES); do LOAD_DATABASE=$$db AIRTIME_BIN=$(SERVER) scripts/bench-load || exit 1; done

test-load: test-build
	@for db in $(LOAD_DATABASES); do LOAD_DATABASE=$$db LOAD_USERS=40 LOAD_SECONDS=20 AIRTIME_BIN=$(SERVER) \
	  scripts/bench-load || exit 1; done

test-e2e: test-build
	cd end2end && AIRTIME_SERVER=$(SERVER) npx playwright test

# Formatting, then Clippy on the server build, every target, warnings as errors; then the
# dependency policy (deny.toml: licences, crates.io only, banned crates).
lint: setup
	cargo fmt --check
	cargo clippy --workspace --release --all-targets --no-default-features --features ssr -- -D warnings
	cargo deny --locked check bans licenses sources

test: lint test-unit test-e2e test-load
	@scripts/asvs-coverage

# Speed and memory against the peer on ../shared/videos (installs the peer from PyPI once).
bench: build
	scripts/bench-analysis

fmt:
	cargo fmt

clean-data:
	rm -rf data
