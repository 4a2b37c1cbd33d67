#!/usr/bin/env bash
# Install a tool pinned in a requirements file into a virtualenv of its own, HOME/venv, so
# its pins never mix with the hub's:
#   bash .ci/tool-venv.sh HOME REQUIREMENTS COMMAND
# (COMMAND: the executable the install provides, run with --version to show it works).
# Idempotent: does nothing when the installed pins match the file. Prints the virtualenv's
# path. .ci/tryton.sh and .ci/openapi-client.sh call it.
set -euo pipefail
cd "$(dirname "$0")/.."
home="$1" requirements="$2" command="$3"
venv="$home/venv"
stamp="$venv/.requirements"
python="${PYTHON:-python3}"
if [ -x "$venv/bin/$command" ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
  echo "$venv"
  exit 0
fi
mkdir -p "$home"
rm -rf "$venv"
echo "installing $command into $venv" >&2
"$python" -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" >&2
"$venv/bin/$command" --version >&2
cp "$requirements" "$stamp"
echo "$venv"
