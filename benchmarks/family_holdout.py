"""A family hold-out read from per-recording results: models side by side on each value of one family.

``python -m trainer.evaluate`` writes one CSV line per recording (``recordings_*.csv``: truth, guesses, answered and the
recording's groups). A family hold-out ("train without it, test on it") is judged on the recordings of the held-out
value against those of the value trained on, and against a control model on the very same recordings. For each model
and each value of ``--column`` (e.g. ``loudspeaker``: the real-parts set's ``amps``, which a build may train on, and
``rigs``, which none does): top-1 at 20 / 10 / 0 dB and, at ≥ 10 dB, the share answered and right among answers.
With two or more models, a paired count against the first: recordings only it names, only the other names.

    python benchmarks/family_holdout.py --column loudspeaker \\
        "control=benchmarks/results/real_parts_draw2/recordings_real_parts.csv" \\
        "measured amps=benchmarks/results/holdout_measured/recordings_real_parts.csv" \\
        --output benchmarks/results/holdout_measured/by_loudspeaker.md

Every figure comes from the CSVs (:func:`trainer.evaluation.recordings.summarise`, the reports' own summary).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trainer.evaluation.recordings import summarise  # noqa: E402

SNR_TARGETS = ("20 dB", "10 dB", "0 dB")


def read_rows(path: str | Path) -> list[dict]:
    """A recordings CSV as the rows :func:`summarise` takes (guesses a list, answered a bool)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"label", "guesses", "answered", "snr_target", "capture_snr"} <= set(rows[0]):
        raise SystemExit(f"{path}: expected a recordings CSV of python -m trainer.evaluate (label, guesses, answered, …)")
    for r in rows:
        r["guesses"] = [g for g in r["guesses"].split(" > ") if g]
        r["answered"] = r["answered"] == "True"
    return rows


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def right(row: dict) -> bool:
    return bool(row["guesses"]) and row["guesses"][0] == row["label"]


def model_rows(name: str, rows: list[dict], column: str, values: list[str]) -> list[str]:
    out = []
    for value in values:
        mine = [r for r in rows if r.get(column) == value]
        snr = [pct(summarise([r for r in mine if r["snr_target"] == t])["top1"]) for t in SNR_TARGETS]
        high = summarise([r for r in mine if r["capture_snr"] == "≥ 10 dB"])
        out.append(f"| {name} | {value} | {len(mine)} | " + " | ".join(snr)
                   + f" | {pct(high['answered'])} / {pct(high['precision'])} |")
    return out


def paired_rows(base: tuple[str, list[dict]], other: tuple[str, list[dict]], column: str, values: list[str]) -> list[str]:
    """Per value: recordings only the first model names, only the other names (same recordings, same order)."""
    (a_name, a), (b_name, b) = base, other
    if len(a) != len(b) or any(x["label"] != y["label"] or x.get(column) != y.get(column) for x, y in zip(a, b, strict=True)):
        raise SystemExit(f"{a_name} and {b_name}: not the same recordings (labels or {column} differ); expected one plan and seed")
    out = []
    for value in values:
        pairs = [(right(x), right(y)) for x, y in zip(a, b, strict=True) if x.get(column) == value]
        only_a = sum(1 for p, q in pairs if p and not q)
        only_b = sum(1 for p, q in pairs if q and not p)
        out.append(f"| {b_name} vs {a_name} | {value} | {len(pairs)} | {only_b} | {only_a} | {only_b - only_a:+d} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", help="NAME=PATH/recordings_*.csv (the first is the control)")
    parser.add_argument("--column", required=True, help="the family, e.g. loudspeaker, codec, background, agc")
    parser.add_argument("--output", help="also write the tables to this markdown file")
    args = parser.parse_args()
    reports = []
    for item in args.reports:
        name, sep, path = item.partition("=")
        if not sep:
            parser.error(f"{item!r}: expected NAME=PATH/recordings_*.csv")
        reports.append((name, read_rows(path)))
    values = sorted({r[args.column] for _, rows in reports for r in rows if r.get(args.column)})
    if not values:
        parser.error(f"--column {args.column}: no recording has a value there")
    lines = [f"| model | {args.column} | recordings | 20 dB | 10 dB | 0 dB | at ≥ 10 dB: answered / right among answers |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, rows in reports:
        lines += model_rows(name, rows, args.column, values)
    if len(reports) > 1:
        lines += ["", f"| paired, every SNR | {args.column} | recordings | only the second right | only the first right | net |",
                  "| --- | --- | ---: | ---: | ---: | ---: |"]
        for other in reports[1:]:
            lines += paired_rows(reports[0], other, args.column, values)
    table = "\n".join(lines)
    print(table)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
