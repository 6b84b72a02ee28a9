"""Models side by side, from the reports ``python -m trainer.evaluate --heldout-sim`` / ``--through-recognizer`` wrote.

Each argument is ``NAME=PATH`` to a ``recordings.json``. One row per model and set (in-distribution captures of
the builder, the held-out simulator, its real-parts chain): top-1 at 20 / 10 / 0 dB (the builder's 15–25 / 5–15 / < 5 dB capture
bands, the simulator's SNR targets), a clean cry after a lead-in (latest / legacy), and at ≥ 10 dB the share
answered and the share of answers that are right. Every figure is read from the reports, none computed here.

    python benchmarks/compare_recordings.py "recipe 1=benchmarks/results/heldout_sim_recipe1/recordings.json" \\
        "recipe 2=benchmarks/results/heldout_sim/recordings.json" [--output benchmarks/results/compare.md]

``--by-generation``: one row per model, set and generation instead (from the reports' ``generation×…`` groups).
``--group COLUMN`` (e.g. ``codec``): one row per model and set, one column per value of that group, top-1 over every
SNR: how a family hold-out (train without it, test on it) compares with its control, value by value.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

BANDS = {"in-distribution": ("capture_snr_band", ("15–25 dB", "5–15 dB", "<5 dB")),
         "held-out simulator": ("snr_target", ("20 dB", "10 dB", "0 dB")),
         "real parts": ("snr_target", ("20 dB", "10 dB", "0 dB"))}
LEAD_IN = ("clean cry after a lead-in / latest", "clean cry after a lead-in / legacy")


def pct(summary: dict | None, key: str = "top1") -> str:
    if not summary or not summary.get("n") or summary.get(key) is None:
        return "–"
    return f"{100 * summary[key]:.1f} %"


def cells(groups: dict, set_name: str, prefix: str = "", cross: str = "") -> list[str]:
    """The row's figures; with ``prefix`` (``"3 / "``) and ``cross`` (``"generation×"``) those of one generation."""
    column, bands = BANDS.get(set_name, BANDS["in-distribution"])
    out = [pct(groups.get(cross + column, {}).get(prefix + b)) for b in bands]
    lead = groups.get(cross + "condition×rendition", {})
    out.append(" / ".join(pct(lead.get(prefix + k)) for k in LEAD_IN))
    high = groups.get(cross + "capture_snr", {}).get(prefix + "≥ 10 dB")
    out.append(f"{pct(high, 'answered')} / {pct(high, 'precision')}")
    return out


def rows(name: str, report: dict, by_generation: bool = False) -> list[str]:
    out = []
    for set_name, data in report["sets"].items():
        groups = data["groups"]
        if not by_generation:
            out.append(f"| {name} | {set_name} | " + " | ".join(cells(groups, set_name)) + " |")
            continue
        for generation, summary in sorted(groups.get("generation", {}).items(), key=lambda kv: int(kv[0])):
            figures = cells(groups, set_name, f"{generation} / ", "generation×")
            out.append(f"| {name} | {set_name} | {generation} | {summary['n']} | " + " | ".join(figures) + " |")
    return out


def group_table(reports: list[tuple[str, dict]], column: str) -> list[str]:
    """Top-1 (and n) for each value of ``column`` any report has, one row per model and set."""
    values = list(dict.fromkeys(v for _, report in reports for data in report["sets"].values()
                                for v in data["groups"].get(column, {})))
    if not values:
        raise SystemExit(f"--group {column}: no report has that group; expected one of the reports' groups")
    lines = ["| model | recordings | " + " | ".join(f"{column} = {v}" for v in values) + " |",
             "| --- | --- | " + " | ".join("---:" for _ in values) + " |"]
    for name, report in reports:
        for set_name, data in report["sets"].items():
            groups = data["groups"].get(column, {})
            figures = [f"{pct(groups[v])} ({groups[v]['n']})" if v in groups else "–" for v in values]
            lines.append(f"| {name} | {set_name} | " + " | ".join(figures) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", help="NAME=PATH/recordings.json")
    parser.add_argument("--output", help="also write the table to this markdown file")
    parser.add_argument("--by-generation", action="store_true", help="one row per generation")
    parser.add_argument("--group", help="one column per value of this group (e.g. codec), top-1 over every SNR")
    args = parser.parse_args()
    head = "| model | recordings | generation | n " if args.by_generation else "| model | recordings "
    lines = [head + "| 20 dB | 10 dB | 0 dB | clean after a lead-in: latest / legacy "
             "| at ≥ 10 dB: answered / right among answers |",
             "| --- | --- | " + ("---: | ---: | " if args.by_generation else "") + "---: | ---: | ---: | ---: | ---: |"]
    reports = []
    for item in args.reports:
        name, sep, path = item.partition("=")
        if not sep:
            parser.error(f"{item!r}: expected NAME=PATH/recordings.json")
        reports.append((name, json.loads(Path(path).read_text(encoding="utf-8"))))
    if args.group:
        lines = group_table(reports, args.group)
    else:
        for name, report in reports:
            lines += rows(name, report, args.by_generation)
    table = "\n".join(lines)
    print(table)
    if args.output:
        Path(args.output).write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
