#!/usr/bin/env bash
# Runs every test: unit tests, the end-to-end tests on notebooks under tests/, the snapshot
# tests and the headless-Chromium check. Installs Chromium from Debian's packages first when
# it is missing and we may (root); the browser test fails with a clear message otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing chromium (Debian package) for the browser test"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        echo "warning: chromium is not installed; the browser test will fail (apt-get install chromium)" >&2
    fi
fi

cargo test --locked "$@"
