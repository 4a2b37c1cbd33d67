#!/usr/bin/env bash
# Install openapi-python-client (pinned in .ci/openapi-client-requirements.txt) into its own
# virtualenv, $PIM_OPENAPI_CLIENT_HOME/venv (default var/openapi-client/venv), so its pins
# never mix with the hub's. Idempotent: does nothing when the installed pins match the file.
# Prints the virtualenv's path.
set -euo pipefail
cd "$(dirname "$0")/.."
home="${PIM_OPENAPI_CLIENT_HOME:-var/openapi-client}"
requirements=.ci/openapi-client-requirements.txt
venv="$home/venv"
stamp="$venv/.requirements"
python="${PYTHON:-python3}"
if [ -x "$venv/bin/openapi-python-client" ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
  echo "$venv"
  exit 0
fi
mkdir -p "$home"
rm -rf "$venv"
echo "installing openapi-python-client into $venv" >&2
"$python" -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" >&2
"$venv/bin/openapi-python-client" --version >&2
cp "$requirements" "$stamp"
echo "$venv"
