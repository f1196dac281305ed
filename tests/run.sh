#!/usr/bin/env bash
# Runs every test: unit tests, the integration suite (tests/suite/: end-to-end tests on
# notebooks under tests/fixtures/, snapshot tests) and the headless-Chromium tests
# (tests/browser/, the opt-in `browser-tests` feature). Installs Chromium from Debian's packages
# first when it is missing and we may (root); the browser tests fail with a clear message
# otherwise. Plain `cargo test` runs everything but the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing chromium (Debian package) for the browser tests"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        echo "warning: chromium is not installed; the browser tests will fail (apt-get install chromium)" >&2
    fi
fi

cargo test --locked --features browser-tests "$@"
