"""benchmarks/family_holdout.py: a family hold-out's table and paired counts, read from per-recording CSVs."""

import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["label", "guesses", "answered", "condition", "snr_target", "capture_snr", "loudspeaker"]


def _csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        for label, guesses, answered, snr, speaker in rows:
            writer.writerow({"label": label, "guesses": guesses, "answered": answered, "condition": "capture",
                             "snr_target": snr, "capture_snr": "< 10 dB" if snr == "0 dB" else "≥ 10 dB",
                             "loudspeaker": speaker})
    return path


def _run(*args):
    return subprocess.run([sys.executable, "benchmarks/family_holdout.py", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True)


def test_each_value_and_the_paired_counts(tmp_path):
    plan = [("A", "20 dB", "rigs"), ("B", "10 dB", "rigs"), ("C", "0 dB", "rigs"), ("D", "20 dB", "amps")]
    control = _csv(tmp_path / "c.csv", [(lab, "X > " + lab, "False", snr, sp) for lab, snr, sp in plan[:3]]
                   + [("D", "D > X", "True", "20 dB", "amps")])
    trained = _csv(tmp_path / "t.csv", [("A", "A > X", "True", "20 dB", "rigs"), ("B", "B", "True", "10 dB", "rigs"),
                                        ("C", "X > C", "True", "0 dB", "rigs"), ("D", "X", "True", "20 dB", "amps")])
    out = _run("--column", "loudspeaker", f"control={control}", f"new={trained}", "--output", tmp_path / "t.md")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "| control | rigs | 3 | 0.0 % | 0.0 % | 0.0 % | 0.0 % / – |" in lines
    assert "| new | rigs | 3 | 100.0 % | 100.0 % | 0.0 % | 100.0 % / 100.0 % |" in lines
    assert "| new | amps | 1 | 0.0 % | – | – | 100.0 % / 0.0 % |" in lines
    assert "| new vs control | rigs | 3 | 2 | 0 | +2 |" in lines and "| new vs control | amps | 1 | 0 | 1 | -1 |" in lines
    assert (tmp_path / "t.md").read_text() == out.stdout


def test_other_recordings_or_a_missing_column_are_refused(tmp_path):
    a = _csv(tmp_path / "a.csv", [("A", "A", "True", "20 dB", "rigs")])
    b = _csv(tmp_path / "b.csv", [("B", "B", "True", "20 dB", "rigs")])
    out = _run("--column", "loudspeaker", f"a={a}", f"b={b}")
    assert out.returncode != 0 and "not the same recordings" in out.stderr
    out = _run("--column", "codec", f"a={a}")
    assert out.returncode != 0 and "--column codec: no recording has a value there" in out.stderr
    (tmp_path / "bad.csv").write_text("x,y\n1,2\n")
    out = _run("--column", "loudspeaker", f"a={tmp_path / 'bad.csv'}")
    assert out.returncode != 0 and "expected a recordings CSV" in out.stderr
