#!/usr/bin/env bash
# The API benchmarks load the server with wrk (a C load generator) so that the client does
# not eat the CPU the server is measured on. Install Debian's package when missing (as
# root); without it the benchmark falls back to a Python client and says so in its notes.
set -uo pipefail
command -v wrk >/dev/null && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "wrk not installed: installing Debian's package"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) \
    || echo "could not install wrk: the API benchmarks use the Python client" >&2
else
  echo "wrk not installed (needs root to install): the API benchmarks use the Python client" >&2
fi
exit 0
