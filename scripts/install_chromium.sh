#!/usr/bin/env bash
# Install Debian's Chromium at /usr/bin/chromium, for `scripts/report.py --screenshot` and the browser test
# (tests/python/test_report_browser.py, skipped without it). Idempotent: a no-op when it is already there.
# Needs root or sudo; CI runs as root. A font package is named explicitly so that text always renders.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null)" >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "==> installing chromium from the Debian packages" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null)" >&2
