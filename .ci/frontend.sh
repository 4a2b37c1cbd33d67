#!/usr/bin/env bash
# The web UI's front-end packages (pim/web/package.json), installed exactly as its
# package-lock.json pins them (`npm ci`, no install scripts) into pim/web/node_modules, which
# is never committed. Nothing to do without a package.json, or when node_modules was
# installed from the current lockfile. Installs Debian's nodejs and npm when npm is missing
# (as root). Fails loudly.
set -euo pipefail
cd "$(dirname "$0")/../pim/web" 2>/dev/null || exit 0
[ -f package.json ] || exit 0
if [ ! -f package-lock.json ]; then
  echo "pim/web/package.json has no package-lock.json: run npm install there and commit it" >&2
  exit 1
fi
# npm ci records the lockfile it installed in node_modules/.package-lock.json.
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "npm is missing: install Node.js and npm (needs root to install Debian's)" >&2
    exit 1
  fi
  echo "npm not installed: installing Debian's nodejs and npm"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
