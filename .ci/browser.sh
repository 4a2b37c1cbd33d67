#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (Playwright's own browser
# download does not work here): install Debian's chromium package when /usr/bin/chromium
# is missing (as root). Fails loudly when it cannot.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "/usr/bin/chromium is missing: install Debian's chromium package (needs root)" >&2
  exit 1
fi
echo "Chromium not installed: installing Debian's package"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
[ -x /usr/bin/chromium ] || { echo "chromium installed but /usr/bin/chromium is missing" >&2; exit 1; }
