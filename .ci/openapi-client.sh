#!/usr/bin/env bash
# Install openapi-python-client (pinned in .ci/openapi-client-requirements.txt) into its own
# virtualenv, $PIM_OPENAPI_CLIENT_HOME/venv (default var/openapi-client/venv). Idempotent;
# prints the virtualenv's path (see .ci/tool-venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash .ci/tool-venv.sh "${PIM_OPENAPI_CLIENT_HOME:-var/openapi-client}" \
  .ci/openapi-client-requirements.txt openapi-python-client
