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


def test_group_table_puts_each_value_of_a_family_in_a_column(tmp_path):
    """--group codec: a family hold-out beside its control, value by value (top-1 over every SNR, with n)."""
    held = [_row("A", "A", "1", "20 dB", codec="gsm"), _row("A", "B", "1", "0 dB", codec="gsm"),
            _row("B", "B", "1", "10 dB", codec="mp3")]
    control = [_row("A", "A", "1", "20 dB", codec="gsm"), _row("A", "A", "1", "0 dB", codec="gsm")]
    paths = []
    for name, rows in (("held", held), ("control", control)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"sets": {"real parts": summarise_groups(rows, RECORDING_COLUMNS)}}))
        paths.append(f"{name}={path}")
    out = subprocess.run([sys.executable, "benchmarks/compare_recordings.py", *paths, "--group", "codec"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "| model | recordings | codec = gsm | codec = mp3 |"
    assert out[2:] == ["| held | real parts | 50.0 % (2) | 100.0 % (1) |", "| control | real parts | 100.0 % (2) | – |"]
    failed = subprocess.run([sys.executable, "benchmarks/compare_recordings.py", *paths, "--group", "nope"], cwd=ROOT,
                            capture_output=True, text=True)
    assert failed.returncode != 0 and "--group nope" in failed.stderr
