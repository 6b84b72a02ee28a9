"""Where a benchmark writes its results: a new file by default, the committed one only when told (``--update``).

A run on another machine (or a quick check) must not silently replace the numbers the README quotes; with
``--update`` it does, on purpose. Default: ``benchmarks/results/runs/<name>-<UTC time>.json`` (git-ignored).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
RUNS = RESULTS / "runs"
UPDATE_HELP = (
    "Overwrite the committed results file that the README quotes; without it the results go to a new file "
    "under benchmarks/results/runs/."
)


def results_file(path: str | Path, update: bool = False) -> Path:
    """``path`` itself with ``update`` or when it lies outside ``benchmarks/results``; else a new file in ``runs/``."""
    path = Path(path).resolve()
    if update or not path.is_relative_to(RESULTS) or path.is_relative_to(RUNS):
        path.parent.mkdir(parents=True, exist_ok=True)
        return path
    RUNS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return RUNS / f"{path.relative_to(RESULTS).with_suffix('').as_posix().replace('/', '-')}-{stamp}{path.suffix}"


def write_results(out: Path, data: dict, table: str) -> None:
    """``data`` as JSON at ``out`` and ``table`` (markdown) beside it as ``.md``; the table printed, then where."""
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print(f"wrote {out}")
