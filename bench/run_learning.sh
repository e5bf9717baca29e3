#!/usr/bin/env bash
# The ENT's benchmarks, one after the other (≈ 30 min on 2 cores; 4 more to build the database,
# 3 more the very first time for its base): 1 million answers (generate_learning.py), the
# attempt pages at 1 million answers (bench_learning_attempts.py, with the plans of the slowest
# queries), then the Monday-morning rush (load_learning.py: gunicorn + locust): a. at the issue's
# arrival rate with the sign-in form, beside the bare view, and the « same second » burst; b. the
# pages alone (prepared session cookies) up to the knee; c. the sign-in form with arrivals
# spread; d. 2 sync workers, then gthread, against 4 sync workers. Everything runs under
# `nice -n 5` (other sessions share the machine). Figures are printed and kept in $CC_BENCH_DIR
# (default /tmp/cc_bench); nothing here is a test.
#
#   bench/run_learning.sh            # builds cc_bench_learning if it is missing
#   bench/run_learning.sh --rebuild  # builds it again
#   bench/run_learning.sh --quick    # 100,000 answers in cc_bench_learning_quick, short runs (≈ 10 min)
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
NICE=${NICE:-nice -n 5}
URL=postgres://postgres@127.0.0.1:5432/cc_bench_learning
ANSWERS=1000000
SAMPLES=100
FORM_STEPS=10,25,50
STEPS=25,50,100,200
SPREAD_STEPS=25,50
DURATION=90
SPREAD_DURATION=120
COMPARE_STEP=50
BURST_ROUNDS=3
REBUILD=""

while [ $# -gt 0 ]; do
    case "$1" in
        --rebuild) REBUILD=yes; shift ;;
        --quick)
            URL=postgres://postgres@127.0.0.1:5432/cc_bench_learning_quick
            ANSWERS=100000; SAMPLES=30; FORM_STEPS=10; STEPS=25,50; SPREAD_STEPS=25; DURATION=30
            SPREAD_DURATION=45; COMPARE_STEP=25; BURST_ROUNDS=1; shift ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "Option inconnue : $1" >&2; exit 2 ;;
    esac
done

OUT_DIR=${CC_BENCH_DIR:-/tmp/cc_bench}
mkdir -p "$OUT_DIR"
REPORT="$OUT_DIR/run_learning-$(date +%Y%m%d-%H%M%S).md"
NAME=${URL##*/}
exists=$(psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$NAME'" || true)
{
    echo "# Bancs d'essai de l'ENT — $(date -u '+%d/%m/%Y %H:%M') UTC, charge moyenne $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    if [ -n "$REBUILD" ] || [ "$exists" != "1" ]; then
        timeout 1200 $NICE "$PYTHON" bench/generate_learning.py --database-url "$URL" --answers "$ANSWERS"
        echo
    fi
    timeout 900 $NICE "$PYTHON" bench/bench_learning_attempts.py --database-url "$URL" --samples "$SAMPLES" --explain \
        --proposed-index || true
    echo
    # a. The issue's arrival rate (5 pupils a second, « half of 5,500 within 10 minutes »), each
    #    signing in through the form (the password check), then the bare view and the « same second » burst.
    timeout 1800 $NICE "$PYTHON" bench/load_learning.py --database-url "$URL" --steps "$FORM_STEPS" \
        --duration "$DURATION" --spawn-rate 5 --workers 4 --burst-rounds "$BURST_ROUNDS" \
        --json "$OUT_DIR/load_learning-w4-form.json" || true
    echo
    # b. The pages alone: prepared session cookies (no password check), up to the knee.
    timeout 1800 $NICE "$PYTHON" bench/load_learning.py --database-url "$URL" --only rush --login cookie \
        --steps "$STEPS" --duration "$DURATION" --spawn-rate 5 --workers 4 --label w4-cookie \
        --json "$OUT_DIR/load_learning-w4-cookie.json" || true
    echo
    # c. Sign-in through the form again, arrivals spread (1 a second), a longer window.
    timeout 1200 $NICE "$PYTHON" bench/load_learning.py --database-url "$URL" --only rush --steps "$SPREAD_STEPS" \
        --duration "$SPREAD_DURATION" --spawn-rate 1 --workers 4 --label w4-form-spread \
        --json "$OUT_DIR/load_learning-w4-spread.json" || true
    echo
    # d. The same pages with 2 sync workers, then 2 gthread workers of 4 threads.
    timeout 600 $NICE "$PYTHON" bench/load_learning.py --database-url "$URL" --only rush --login cookie \
        --steps "$COMPARE_STEP" --duration "$DURATION" --workers 2 --label w2-cookie || true
    echo
    timeout 600 $NICE "$PYTHON" bench/load_learning.py --database-url "$URL" --only rush --login cookie \
        --steps "$COMPARE_STEP" --duration "$DURATION" --workers 2 --threads 4 --label w2t4-cookie || true
} 2>&1 | tee "$REPORT"
echo "Rapport : $REPORT"
