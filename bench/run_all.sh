#!/usr/bin/env bash
# `make bench`: build the bench databases, then measure the directory (server time at each
# scale, one core) and the load on gunicorn (loopback), for SQLite and PostgreSQL.
# The figures are printed and kept in $CC_BENCH_DIR (default /tmp/cc_bench); nothing here is
# a test. Bounded: every step has a time limit, the whole run aims at ~10 minutes on 2 cores.
#
#   bench/run_all.sh                                   # 1x, 10x, 100x on SQLite and PostgreSQL
#   bench/run_all.sh --scales 1,10 --databases sqlite  # quicker
#   bench/run_all.sh --quick                           # smoke run: 1x and 10x, few samples
#   bench/run_all.sh --reuse                           # keep the databases already generated
#   bench/run_all.sh --scales 1,10,100,1000            # add 350,000 places (longer: ~10 min more)
#   bench/run_all.sh --proposed                        # also measure copies with the proposed indexes
#   bench/run_all.sh --mediation                       # also the EPN statistics (100 EPN, 5 years; ~6 min per base to build)
#   bench/run_all.sh --kiosk-load                      # also the kiosk fleet under load (PostgreSQL, gunicorn; ~3 min)
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
SCALES=1,10,100
DATABASES=sqlite,postgres
SAMPLES=60
WARMUP=5
CASE_BUDGET=12
REQUEST_TIMEOUT=5
LOAD_SCALE=""
LOAD_DURATION=10
LOAD_CONCURRENCY=4
REUSE=""
NO_LOAD=""
PROPOSED=""
MEDIATION=""
KIOSK_LOAD=""
POSTGRES_URL=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/cc_bench_\{places\}}

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    cat <<EOF

Options :
  --scales LISTE          échelles (1x = 350 lieux, 10x = 3 500, 100x = 35 000, 1000x = 350 000) [$SCALES]
  --databases LISTE       sqlite, postgres [$DATABASES]
  --samples N             mesures par cas et par échelle [$SAMPLES]
  --case-budget S         secondes au plus par cas [$CASE_BUDGET]
  --load-scale N          échelle de la base du test de charge [la plus grande de --scales]
  --load-duration S       secondes mesurées par phase du test de charge [$LOAD_DURATION]
  --no-load               sans le test de charge
  --reuse                 garde les bases déjà générées
  --proposed              mesure aussi des copies des bases avec les index proposés (bench/proposed_indexes.py)
  --mediation             mesure aussi la page de statistiques des EPN (bench/bench_mediation_stats.py)
  --kiosk-load            mesure aussi le parc de 1 000 bornes sous charge (bench/bench_kiosk_fleet_load.py)
  --quick                 --scales 1,10 --samples 30 --load-duration 3
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --scales) SCALES=$2; shift 2 ;;
        --databases) DATABASES=$2; shift 2 ;;
        --samples) SAMPLES=$2; shift 2 ;;
        --case-budget) CASE_BUDGET=$2; shift 2 ;;
        --load-scale) LOAD_SCALE=$2; shift 2 ;;
        --load-duration) LOAD_DURATION=$2; shift 2 ;;
        --no-load) NO_LOAD=yes; shift ;;
        --reuse) REUSE=yes; shift ;;
        --proposed) PROPOSED=yes; shift ;;
        --mediation) MEDIATION=yes; shift ;;
        --kiosk-load) KIOSK_LOAD=yes; shift ;;
        --quick) SCALES=1,10; SAMPLES=30; WARMUP=5; LOAD_DURATION=3; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "Option inconnue : $1" >&2; usage >&2; exit 2 ;;
    esac
done

if [ ! -x "$PYTHON" ]; then
    echo "$PYTHON est introuvable : lancez d'abord « make install-dev »." >&2
    exit 1
fi
if [ -z "$LOAD_SCALE" ]; then
    LOAD_SCALE=$(tr ',' '\n' <<<"$SCALES" | sed 's/x$//' | sort -n | tail -n 1)
fi
OUT_DIR=${CC_BENCH_DIR:-/tmp/cc_bench}
mkdir -p "$OUT_DIR"
REPORT="$OUT_DIR/run_all-$(date +%Y%m%d-%H%M%S).md"
started=$SECONDS
step() { printf '\n=== %s (%ss)\n' "$*" "$((SECONDS - started))"; }

postgres_up() {
    "$PYTHON" - "$POSTGRES_URL" <<'EOF'
import sys
import psycopg
url = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
try:
    psycopg.connect(url, connect_timeout=3).close()
except Exception as exc:  # noqa: BLE001
    print(f"PostgreSQL injoignable ({exc.__class__.__name__}) : mesures PostgreSQL sautées.")
    sys.exit(1)
EOF
}

database_has_places() {  # $1 = URL template, $2 = scale
    "$PYTHON" - "$1" "$2" <<'EOF' >/dev/null 2>&1
import sys
sys.path.insert(0, "bench")
import benchlib
url = benchlib.database_url(sys.argv[1], benchlib.places_for(int(sys.argv[2])))
path = benchlib.sqlite_path(url)
if path is not None and not path.exists():
    sys.exit(1)
benchlib.configure_django(url)
from cybercantal.places.models import Place
sys.exit(0 if Place.objects.count() == benchlib.places_for(int(sys.argv[2])) else 1)
EOF
}

{
    echo "# Bench CyberCantal — $(date '+%Y-%m-%d %H:%M')"
    echo
    echo "Machine : $(nproc) cœurs, $(free -h | awk '/^Mem:/ {print $2}') de mémoire, $(uname -sr)," \
         "$("$PYTHON" --version), charge moyenne $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "Échelles : $SCALES (1x = 350 lieux) — bases : $DATABASES"

    for database in ${DATABASES//,/ }; do
        case "$database" in
            sqlite) template="sqlite:///$OUT_DIR/places-{places}.sqlite3" ;;
            postgres|postgresql)
                template=$POSTGRES_URL
                postgres_up || continue ;;
            *) echo "Base inconnue : $database (sqlite ou postgres)"; continue ;;
        esac

        for scale in ${SCALES//,/ }; do
            scale=${scale%x}
            if [ -n "$REUSE" ] && database_has_places "$template" "$scale"; then
                step "$database ${scale}x : base déjà générée, gardée (--reuse)"
                continue
            fi
            step "$database ${scale}x : génération"
            timeout 1200 "$PYTHON" bench/generate_places.py --places "$((scale * 350))" --database-url "$template"
        done

        step "$database : temps serveur (un cœur)"
        timeout 1500 "$PYTHON" bench/bench_directory.py --database-url "$template" --scales "$SCALES" \
            --samples "$SAMPLES" --warmup "$WARMUP" --case-budget "$CASE_BUDGET" \
            --request-timeout "$REQUEST_TIMEOUT" --json "$OUT_DIR/directory-$database.json"

        if [ -n "$PROPOSED" ]; then
            step "$database : copies avec les index proposés"
            timeout 600 "$PYTHON" bench/proposed_indexes.py --database-url "$template" --scales "$SCALES"
            case "$template" in
                sqlite*) indexed=${template%.sqlite3}-idx.sqlite3 ;;
                *) indexed=${template}_idx ;;
            esac
            step "$database : temps serveur avec les index proposés (un cœur)"
            timeout 1500 "$PYTHON" bench/bench_directory.py --database-url "$indexed" --scales "$SCALES" \
                --samples "$SAMPLES" --warmup "$WARMUP" --case-budget "$CASE_BUDGET" \
                --request-timeout "$REQUEST_TIMEOUT" --json "$OUT_DIR/directory-$database-idx.json"
        fi

        if [ -z "$NO_LOAD" ]; then
            step "$database : charge sur gunicorn (127.0.0.1, ${LOAD_SCALE}x)"
            timeout 600 "$PYTHON" bench/load_directory.py --database-url "$template" --scale "$LOAD_SCALE" \
                --duration "$LOAD_DURATION" --concurrency "$LOAD_CONCURRENCY" \
                --json "$OUT_DIR/load-$database.json" || echo "(le test de charge a signalé des erreurs)"
        fi
    done
    if [ -n "$MEDIATION" ]; then
        for database in ${DATABASES//,/ }; do
            if [ -n "$REUSE" ] && [ "$database" = sqlite ] && [ -f "$OUT_DIR/mediation.sqlite3" ]; then
                step "statistiques EPN $database : base déjà générée, gardée (--reuse)"
            else
                step "statistiques EPN $database : génération (100 EPN, 5 ans)"
                timeout 1800 "$PYTHON" bench/generate_mediation.py --database "$database" || continue
            fi
            step "statistiques EPN $database : temps serveur (un cœur)"
            timeout 900 "$PYTHON" bench/bench_mediation_stats.py --database "$database" \
                --json "$OUT_DIR/mediation-stats-$database.json"
        done
    fi
    if [ -n "$KIOSK_LOAD" ] && postgres_up; then
        step "parc de bornes sous charge : 1 000 bornes + navigation, gunicorn + PostgreSQL (cc_bench_kiosk_load)"
        timeout 600 "$PYTHON" bench/bench_kiosk_fleet_load.py --duration 120 || echo "(le banc des bornes a signalé des erreurs)"
    fi
    step "fin"
} 2>&1 | tee "$REPORT"
echo
echo "Rapport gardé dans $REPORT"
