"""What Gradio's queue spends after each event on its monitoring summary, by how many events it keeps.

Gradio 6's ``Queue.compute_analytics_summary`` builds a pandas DataFrame of up to
``GRADIO_ANALYTICS_MAX_EVENTS`` (10,000) past events, groups it by function and takes percentiles; by default
(``GRADIO_ANALYTICS_CACHE_FREQUENCY=1``) it does so after every event. ``app.main()`` sets the frequency to
``app.ANALYTICS_EVERY``. This times one recomputation on one thread.

    python benchmarks/bench_gradio_analytics.py

Prints a table and writes ``benchmarks/results/gradio_analytics.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import UPDATE_HELP, results_file  # noqa: E402


def time_summary(records: int, repeats: int) -> float:
    """ms of one ``compute_analytics_summary`` over ``records`` past events (recomputed every call)."""
    import random

    from gradio.queueing import Queue

    queue = Queue.__new__(Queue)  # only the attributes the summary reads; no server
    queue.cached_event_analytics_summary = {"functions": {}}
    queue.events_recorded, queue.event_count_at_last_cache, queue.ANAYLTICS_CACHE_FREQUENCY = 0, 0, 1
    queue.events_recorded_per_fn = {}
    rng = random.Random(0)
    rows = [{"function": "predict", "status": "success", "process_time": rng.random(), "time": float(i)}
            for i in range(records)]
    queue.compute_analytics_summary(rows)  # pandas' first-call imports
    start = time.perf_counter()
    for _ in range(repeats):
        queue.events_recorded += 1
        queue.compute_analytics_summary(rows)
    return 1000 * (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "gradio_analytics.json"))
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)
    args = parser.parse_args()
    import gradio

    rows = [{"events_kept": n, "ms_per_event": round(time_summary(n, args.repeats), 2)} for n in (100, 1000, 10000)]
    print("| events kept | CPU per recomputation (one after every event by default) |")
    print("| ---: | ---: |")
    for r in rows:
        print(f"| {r['events_kept']} | {r['ms_per_event']} ms |")
    out = results_file(args.output, args.update)
    out.write_text(json.dumps({"gradio": gradio.__version__, "rows": rows, "repeats": args.repeats}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
