"""How fast the GIFT parser reads big files (issue 6: imports from Moodle).

    .venv/bin/python bench/bench_gift_parse.py [--megabytes 2] [--repeat 3]

Parses the Moodle-shaped test file repeated up to ``--megabytes`` MB, then one huge question
without any blank line (100,000 answers, escaped braces): both must grow linearly. Prints the
best elapsed and CPU times of ``--repeat`` runs and the questions per second. Not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import benchlib

SAMPLE = benchlib.PROJECT_DIR / "src/cybercantal/learning/tests/data/gift/moodle_5e.gift.txt"


def timed(function, repeat: int) -> tuple[float, float]:
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        function()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return best_wall, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(benchlib.PROJECT_DIR / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cybercantal.settings")
    import django

    django.setup()
    from cybercantal.learning import gift

    block = SAMPLE.read_text(encoding="utf-8")
    for megabytes in (args.megabytes / 4, args.megabytes / 2, args.megabytes):
        text = (block + "\n\n") * (int(megabytes * 1024 * 1024) // len(block.encode()) + 1)
        count = len(gift.parse(text).questions)
        wall, cpu = timed(lambda text=text: gift.parse(text), args.repeat)
        rate = count / wall
        print(f"{megabytes:5.2f} MB: {count:6d} questions, {wall:6.2f} s elapsed, {cpu:6.2f} s CPU, {rate:8.0f} q/s")
    for answers in (25_000, 50_000, 100_000):
        huge = "Q {" + "~a#b \\{ " * answers + "=c}"
        wall, cpu = timed(lambda huge=huge: gift.parse(huge), args.repeat)
        print(f"one question, {answers:6d} answers: {wall:6.2f} s elapsed, {cpu:6.2f} s CPU")
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
