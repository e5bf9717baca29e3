#!/bin/sh
# While the telework app is being built (before its first release), its schema is one
# migration, regenerated from models.py. Serialised with flock: several people may run it.
set -e
cd "$(dirname "$0")/.."
exec 9>/tmp/telework_remigrate.lock
flock 9
rm -f src/cybercantal/telework/migrations/0001_initial.py
.venv/bin/python manage.py makemigrations telework --name initial -v 0
.venv/bin/python - <<'PY'
p = "src/cybercantal/telework/migrations/0001_initial.py"
s = open(p).read()
if "BtreeGistExtension" not in s:
    s = s.replace("from django.db import migrations", "from django.contrib.postgres.operations import BtreeGistExtension\nfrom django.db import migrations", 1)
    s = s.replace("    operations = [\n", "    operations = [\n        BtreeGistExtension(),\n", 1)
    open(p, "w").write(s)
PY
.venv/bin/ruff format -q src/cybercantal/telework/migrations/0001_initial.py
echo "telework: migration 0001 regenerated"
