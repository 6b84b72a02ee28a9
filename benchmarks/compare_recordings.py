"""Models side by side, from the reports ``python -m trainer.evaluate --heldout-sim`` / ``--through-recognizer`` wrote.

Each argument is ``NAME=PATH`` to a ``recordings.json``. One row per model and set (in-distribution captures of
the builder, the held-out simulator): top-1 at 20 / 10 / 0 dB (the builder's 15–25 / 5–15 / < 5 dB capture
bands, the simulator's SNR targets), a clean cry after a lead-in (latest / legacy), and at ≥ 10 dB the share
answered and the share of answers that are right. Every figure is read from the reports, none computed here.

    python benchmarks/compare_recordings.py "recipe 1=benchmarks/results/heldout_sim_recipe1/recordings.json" \\
        "recipe 2=benchmarks/results/heldout_sim/recordings.json" [--output benchmarks/results/compare.md]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

BANDS = {"in-distribution": ("capture_snr_band", ("15–25 dB", "5–15 dB", "<5 dB")),
         "held-out simulator": ("snr_target", ("20 dB", "10 dB", "0 dB"))}
LEAD_IN = ("clean cry after a lead-in / latest", "clean cry after a lead-in / legacy")


def pct(summary: dict | None, key: str = "top1") -> str:
    if not summary or not summary.get("n") or summary.get(key) is None:
        return "–"
    return f"{100 * summary[key]:.1f} %"


def rows(name: str, report: dict) -> list[str]:
    out = []
    for set_name, data in report["sets"].items():
        groups = data["groups"]
        column, bands = BANDS.get(set_name, BANDS["in-distribution"])
        cells = [pct(groups.get(column, {}).get(b)) for b in bands]
        lead = groups.get("condition×rendition", {})
        cells.append(" / ".join(pct(lead.get(k)) for k in LEAD_IN))
        high = groups.get("capture_snr", {}).get("≥ 10 dB")
        cells.append(f"{pct(high, 'answered')} / {pct(high, 'precision')}")
        out.append(f"| {name} | {set_name} | " + " | ".join(cells) + " |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", help="NAME=PATH/recordings.json")
    parser.add_argument("--output", help="also write the table to this markdown file")
    args = parser.parse_args()
    lines = ["| model | recordings | 20 dB | 10 dB | 0 dB | clean after a lead-in: latest / legacy "
             "| at ≥ 10 dB: answered / right among answers |", "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for item in args.reports:
        name, sep, path = item.partition("=")
        if not sep:
            parser.error(f"{item!r}: expected NAME=PATH/recordings.json")
        lines += rows(name, json.loads(Path(path).read_text(encoding="utf-8")))
    table = "\n".join(lines)
    print(table)
    if args.output:
        Path(args.output).write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
