#!/bin/sh
# While the learning app is being built (before its first release), its schema is one
# migration, regenerated from models.py. Serialised with flock: several people may run it.
set -e
cd "$(dirname "$0")/.."
exec 9>/tmp/learning_remigrate.lock
flock 9
rm -f src/cybercantal/learning/migrations/0001_initial.py
.venv/bin/python manage.py makemigrations learning --name initial -v 0
.venv/bin/ruff format -q src/cybercantal/learning/migrations/0001_initial.py
echo "learning: migration 0001 regenerated"
