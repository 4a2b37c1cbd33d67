#!/usr/bin/env bash
# Install the Tryton server the ERP tests and benchmark start (pinned in
# .ci/tryton-requirements.txt) into its own virtualenv, $PIM_TRYTON_HOME/venv (default
# var/tryton/venv), so its dependencies never mix with the hub's. Idempotent: does nothing
# when the installed pins match the file. Prints the virtualenv's path.
set -euo pipefail
cd "$(dirname "$0")/.."
home="${PIM_TRYTON_HOME:-var/tryton}"
requirements=.ci/tryton-requirements.txt
venv="$home/venv"
stamp="$venv/.requirements"
python="${PYTHON:-python3}"
if [ -x "$venv/bin/trytond" ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
  echo "$venv"
  exit 0
fi
mkdir -p "$home"
rm -rf "$venv"
echo "installing Tryton into $venv" >&2
"$python" -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" >&2
"$venv/bin/trytond" --version >&2
cp "$requirements" "$stamp"
echo "$venv"
