#!/usr/bin/env bash
# The telecentres' benchmarks, one after the other (≈ 8 min on 2 cores, 4 of them to build the
# database): 1 million bookings (generate_telework.py), booking under contention
# (bench_telework_contention.py), the week availability (bench_telework_availability.py, as
# the code is, then with the change proposed in docs/performances-telecentres.md), the load
# of the booking journey beside the bare view (load_telework.py: gunicorn + locust).
# Figures are printed and kept in $CC_BENCH_DIR (default /tmp/cc_bench); nothing here is a test.
#
#   bench/run_telework.sh            # builds cc_bench_telework if it is missing
#   bench/run_telework.sh --rebuild  # builds it again
#   bench/run_telework.sh --quick    # 100,000 bookings in cc_bench_telework_quick, short runs (≈ 3 min)
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
URL=postgres://postgres@127.0.0.1:5432/cc_bench_telework
BOOKINGS=1000000
SAMPLES=200
ROUNDS=5
DURATION=60
REBUILD=""

while [ $# -gt 0 ]; do
    case "$1" in
        --rebuild) REBUILD=yes; shift ;;
        --quick)
            URL=postgres://postgres@127.0.0.1:5432/cc_bench_telework_quick
            BOOKINGS=100000; SAMPLES=40; ROUNDS=2; DURATION=15; shift ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "Option inconnue : $1" >&2; exit 2 ;;
    esac
done

OUT_DIR=${CC_BENCH_DIR:-/tmp/cc_bench}
mkdir -p "$OUT_DIR"
REPORT="$OUT_DIR/run_telework-$(date +%Y%m%d-%H%M%S).md"
NAME=${URL##*/}
exists=$(psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$NAME'" || true)
{
    if [ -n "$REBUILD" ] || [ "$exists" != "1" ]; then
        timeout 900 "$PYTHON" bench/generate_telework.py --database-url "$URL" --bookings "$BOOKINGS"
    fi
    echo
    timeout 600 "$PYTHON" bench/bench_telework_contention.py --database-url "$URL" --rounds "$ROUNDS" || true
    echo
    timeout 600 "$PYTHON" bench/bench_telework_contention.py --database-url "$URL" --rounds "$ROUNDS" --proposed || true
    echo
    timeout 600 "$PYTHON" bench/bench_telework_availability.py --database-url "$URL" --samples "$SAMPLES" || true
    echo
    timeout 600 "$PYTHON" bench/bench_telework_availability.py --database-url "$URL" --samples "$SAMPLES" --proposed || true
    echo
    timeout 900 "$PYTHON" bench/load_telework.py --database-url "$URL" --duration "$DURATION" || true
} 2>&1 | tee "$REPORT"
echo "Rapport : $REPORT"
