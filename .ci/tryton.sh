#!/usr/bin/env bash
# Install the Tryton server the ERP tests and benchmark start (pinned in
# .ci/tryton-requirements.txt) into its own virtualenv, $PIM_TRYTON_HOME/venv (default
# var/tryton/venv). Idempotent; prints the virtualenv's path (see .ci/tool-venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash .ci/tool-venv.sh "${PIM_TRYTON_HOME:-var/tryton}" .ci/tryton-requirements.txt trytond
