#!/usr/bin/env bash
# Until the first release, the schema is one revision: regenerate it from the models.
# After a release, add new revisions with `alembic revision --autogenerate` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f migrations/versions/0001_initial_schema.py var/regenerate.db
mkdir -p var
.venv/bin/python - <<'PY'
from alembic import command
from pim.migrate import alembic_config
command.revision(alembic_config("sqlite:///var/regenerate.db"), message="initial schema",
                 autogenerate=True, rev_id="0001")
PY
sed -i "s/sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')/pim.db.JSONType/g" \
  migrations/versions/0001_initial_schema.py
rm -f var/regenerate.db
