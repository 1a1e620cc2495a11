# Dakiya's two commands: `make run` (install what is missing, build, open the app) and
# `make test` (every check and test, starting its own mail servers). Both are safe to repeat:
# each step checks first and skips work already done. `make deb` builds the Debian package.

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

CARGO_FEATURES := --features dakiya/custom-protocol
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ARTIFACTS := $(CURDIR)/test-artifacts
# Cargo's output, wherever CARGO_TARGET_DIR puts it (a second checkout keeps its own).
TARGET_DIR := $(abspath $(or $(CARGO_TARGET_DIR),$(CURDIR)/target))
TAURI := ui/node_modules/.bin/tauri
# The package (version from tauri.conf.json); worked out only when used.
VERSION = $(shell node -p 'require("./tauri.conf.json").version')
ARCH = $(shell dpkg --print-architecture)
DEB = $(TARGET_DIR)/release/bundle/deb/dakiya_$(VERSION)_$(ARCH).deb

# Debian packages: to build (WebKitGTK pulls GTK and the rest), to run, and to test.
BUILD_PACKAGES := build-essential pkg-config libwebkit2gtk-4.1-dev libdbus-1-dev
# Run: a font with Devanagari, and the tray's indicator library (loaded at run time, not linked).
RUN_PACKAGES := fonts-noto-core libayatana-appindicator3-1
# Package: the tray's pkg-config file, through which the bundler finds the indicator library
# (the app itself loads it at run time and builds without it).
DEB_PACKAGES := libayatana-appindicator3-dev
# Test; the last four for the install test: desktop-file-validate, xdg-mime, dpkg-shlibdeps,
# xwininfo/xprop.
TEST_PACKAGES := xvfb xauth webkit2gtk-driver imagemagick dunst dbus dbus-x11 gnome-keyring libsecret-tools \
	desktop-file-utils xdg-utils dpkg-dev x11-utils

.PHONY: run test deps test-deps ui build lint bindings tests e2e-tests bench deb package-test

run: deps ui
	cargo build $(CARGO_FEATURES) --bin dakiya
	$(TARGET_DIR)/debug/dakiya

## deps: system packages and the UI's npm packages, installed only when missing.
deps:
	@bash tools/ensure-packages.sh $(BUILD_PACKAGES) $(RUN_PACKAGES)
	@bash tools/ensure-node-modules.sh

test-deps: deps
	@bash tools/ensure-packages.sh $(TEST_PACKAGES)
	@bash tests/servers/install-deps.sh
	@command -v tauri-driver >/dev/null || { echo "Installing tauri-driver (the WebDriver bridge for end-to-end tests)"; cargo install tauri-driver --version '^2' --locked; }

## ui: ui/dist, built only when something under ui/ changed (see the script for why).
ui:
	@bash tools/build-ui.sh

## test: the gates (DESIGN.md §3.10), then unit, integration and end-to-end tests.
# Every cargo call selects --workspace (narrowed by target filters) so all resolve the same
# features and the 5-minute Tauri build happens once.
test: test-deps ui lint build bindings tests e2e-tests package-test
	@echo "make test: all checks and tests passed"

lint:
	cargo fmt --all --check
	@if cargo tree -p dakiya-engine -e normal --prefix none | grep -qiE '^tauri'; then echo "the engine must not depend on Tauri"; exit 1; fi
	cd ui && npm run check && npm run lint && npm run check:i18n && npm test
	cargo clippy --workspace --all-targets $(CARGO_FEATURES) -- -D warnings

## build: the app and dakiya-cli (the CLI test runs the built binary).
build:
	cargo build $(CARGO_FEATURES) --workspace --bins

## bindings: regenerate the UI's TypeScript types from the Rust ones and fail if they were stale.
bindings:
	cargo test $(CARGO_FEATURES) --workspace --lib export_bindings -- --quiet
	git diff --exit-code -- ui/src/lib/ipc/bindings || { echo "ui/src/lib/ipc/bindings was stale: commit the regenerated files"; exit 1; }
	test -z "$$(git ls-files --others --exclude-standard ui/src/lib/ipc/bindings)" || { echo "new generated bindings are not committed"; exit 1; }

## tests: unit tests, the vendored POP3 library's regressions, and the integration tests against
## real Dovecot and Postfix. The end-to-end test needs a display and runs in e2e-tests.
tests:
	cargo test $(CARGO_FEATURES) --workspace --no-fail-fast -- --skip e2e::

e2e-tests: ui build
	mkdir -p $(ARTIFACTS)
	DAKIYA_APP=$(TARGET_DIR)/debug/dakiya DAKIYA_ARTIFACTS=$(ARTIFACTS) \
	  dbus-run-session -- bash tests/e2e/run.sh

## deb: the Debian package, from a release build with the UI embedded. The cargo call is the
## one `make bench` makes, so the two share one release build; `tauri bundle` only packages it
## (the .desktop template, Depends and icons are in tauri.conf.json's bundle section). The
## bundler names its file after productName; Debian's convention, and the README's install
## line, is the package's name.
deb: deps ui
	@bash tools/ensure-packages.sh $(DEB_PACKAGES)
	cargo build --release $(CARGO_FEATURES) --bin dakiya
	$(TAURI) bundle --bundles deb
	mv -f $(dir $(DEB))Dakiya_$(VERSION)_$(ARCH).deb $(DEB)
	@echo "make deb: $(DEB)"

## package-test: install that package here, start the installed app, remove it (tests/package/).
package-test: test-deps deb
	DAKIYA_ARTIFACTS=$(ARTIFACTS) dbus-run-session -- bash tests/package/install-test.sh $(DEB)

## bench: speed, measured (not asserted) against the same local servers the tests use.
bench: test-deps ui build
	@bash tools/ensure-packages.sh fetchmail time swaks libnet-ssleay-perl libio-socket-ssl-perl notmuch
	cargo build --release -p dakiya-engine -p dakiya-tests --bins
	$(TARGET_DIR)/release/bench-fetch
	$(TARGET_DIR)/release/bench-send
	cargo build --release $(CARGO_FEATURES) --bin dakiya
	BENCH_APP=$(TARGET_DIR)/release/dakiya xvfb-run -a $(TARGET_DIR)/release/bench-search
	DAKIYA_CRASH_RUNS=100 cargo test $(CARGO_FEATURES) --workspace --test crash_safety -- --nocapture
