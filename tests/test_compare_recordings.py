"""benchmarks/compare_recordings.py: the README's app's-path tables, read from trainer.evaluate's reports."""

import json
import subprocess
import sys
from pathlib import Path

from trainer.evaluation.recordings import RECORDING_COLUMNS, summarise_groups

ROOT = Path(__file__).resolve().parents[1]


def _row(label, guess, generation, snr, answered=True, **extra):
    return {"label": label, "guesses": [guess], "answered": answered, "generation": generation, "condition": "capture",
            "snr_target": snr, "capture_snr": "≥ 10 dB" if snr != "0 dB" else "< 10 dB", "rendition": "latest", **extra}


def test_tables_overall_and_by_generation(tmp_path):
    rows = [_row("A", "A", "1", "20 dB"), _row("A", "B", "1", "20 dB"), _row("B", "B", "1", "0 dB"),
            _row("C", "C", "2", "20 dB"), _row("C", "C", "2", "10 dB", answered=False),
            {"label": "C", "guesses": ["C"], "answered": True, "generation": "2", "condition": "clean cry after a lead-in",
             "rendition": "legacy"}]
    report = tmp_path / "recordings.json"
    summary = summarise_groups(rows, RECORDING_COLUMNS)
    report.write_text(json.dumps({"sets": {"held-out simulator": summary, "real parts": summary}}))

    def table(*flags):
        out = subprocess.run([sys.executable, "benchmarks/compare_recordings.py", f"m={report}", *flags], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        return [line for line in out.splitlines() if line.startswith("| m |")]

    assert table() == [f"| m | {s} | 66.7 % | 100.0 % | 100.0 % | – / 100.0 % | 75.0 % / 66.7 % |"
                       for s in ("held-out simulator", "real parts")]
    assert table("--by-generation") == [
        "| m | held-out simulator | 1 | 3 | 50.0 % | – | 100.0 % | – / – | 100.0 % / 50.0 % |",
        "| m | held-out simulator | 2 | 3 | 100.0 % | 100.0 % | – | – / 100.0 % | 50.0 % / 100.0 % |",
        "| m | real parts | 1 | 3 | 50.0 % | – | 100.0 % | – / – | 100.0 % / 50.0 % |",
        "| m | real parts | 2 | 3 | 100.0 % | 100.0 % | – | – / 100.0 % | 50.0 % / 100.0 % |",
    ]
