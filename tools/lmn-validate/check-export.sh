#!/usr/bin/env bash
# CI step: export the demo places in the LMN schema (CSV and JSON) and validate both files with the
# reference npm package @gouvfr-anct/lieux-de-mediation-numerique (pinned in package-lock.json).
# A deliberately broken copy must be refused too, so that a validator that accepts anything fails CI.
#
# Usage (from anywhere): bash tools/lmn-validate/check-export.sh
# Environment: PYTHON (default: .venv/bin/python of the repository). Uses its own SQLite database
# in a temporary folder, whatever DATABASE_URL says.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

export CYBERCANTAL_VAR_DIR="$work/var"
export DATABASE_URL="sqlite:///$work/var/lmn-export.sqlite3"
mkdir -p "$CYBERCANTAL_VAR_DIR"

"$python" -m cybercantal migrate --noinput -v0
"$python" -m cybercantal load_demo --quiet-accounts
"$python" -m cybercantal lmn_export --csv "$work/lmn.csv" --json "$work/lmn.json"

cd "$here"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
node validate.mjs "$work/lmn.csv" "$work/lmn.json"

# Self-test: one value that the package always checks, broken in each file, must make the validator fail.
"$python" - "$work" <<'PY'
import csv, json, sys
work = sys.argv[1]
with open(f"{work}/lmn.csv", encoding="utf-8", newline="") as handle:
    rows = list(csv.reader(handle))
rows[1][rows[0].index("code_postal")] = "154"
with open(f"{work}/broken.csv", "w", encoding="utf-8", newline="") as handle:
    csv.writer(handle, lineterminator="\r\n").writerows(rows)
items = json.load(open(f"{work}/lmn.json", encoding="utf-8"))
items[0]["pivot"] = "123"
json.dump(items, open(f"{work}/broken.json", "w", encoding="utf-8"), ensure_ascii=False)
PY
for broken in "$work/broken.csv" "$work/broken.json"; do
  if node validate.mjs "$broken" >/dev/null 2>&1; then
    echo "ERREUR : le validateur LMN a accepté un fichier volontairement faux ($broken)." >&2
    exit 1
  fi
done
echo "Validateur LMN : les fichiers volontairement faux sont bien refusés."
