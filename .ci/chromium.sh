#!/usr/bin/env bash
# Install Debian's Chromium (and its driver) for the referral form's browser tests, when it
# is missing. The tests drive /usr/bin/chromium through Playwright and never download a
# browser; without one they fail (not skip) and name this script.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "Chromium is not installed and this is not root: apt-get install chromium chromium-driver" >&2
    exit 1
fi
DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >&2
