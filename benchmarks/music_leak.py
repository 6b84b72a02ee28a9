"""Did the test split's music reach training? And did it lift the in-distribution test numbers?

Until the builder seeded the music files' split apart from ``--seed`` (``BackgroundConfig.file_split_seed``), the
low-SNR supplement of ``scripts/train_default_model.sh`` (built with seed + 1) reshuffled the music folder and put
some of the main build's test-split music in its training split. This script lists the overlap between a build's
test split and a supplement's (or any other build's) training split, and, given the app's-path per-recording CSV
of that test split (``trainer.evaluate`` writes ``recordings_in_distribution.csv``), compares top-1 on recordings
over leaked music with the rest, by SNR band.

    python benchmarks/music_leak.py --dataset data/gen1-nocry --train-from data/gen1-nocry-lowsnr \
        --recordings benchmarks/results/heldout_sim/recordings_in_distribution.csv --output benchmarks/results/music_leak.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

COLUMNS = ["name_en", "background_kind", "background_id"]


def split_rows(dataset: Path, split: str) -> pd.DataFrame:
    """The metadata of one split of a built dataset (its parquet shards, no audio decoded)."""
    files = sorted((dataset / "data").glob(f"{split}-*.parquet"))
    if not files:
        raise SystemExit(f"{dataset}: no data/{split}-*.parquet; expected a folder written by dataset_builder")
    return pd.concat([pq.read_table(f, columns=COLUMNS).to_pandas() for f in files], ignore_index=True)


def music_ids(rows: pd.DataFrame) -> set[str]:
    return set(rows.loc[rows.background_kind.isin(["music", "youtube"]), "background_id"])


def leak_table(test: pd.DataFrame, leaked: set[str], recordings: pd.DataFrame) -> pd.DataFrame:
    """Top-1 by SNR band for recordings over leaked music, over other music, and for all / all but leaked."""
    cries = test[test.name_en != "no_cry"].reset_index(drop=True)
    if len(cries) != len(recordings) or not (cries.name_en.values == recordings.label.values).all():
        raise SystemExit(
            f"the recordings CSV ({len(recordings)} rows) does not follow the test split's cries ({len(cries)} rows) "
            "in order; expected trainer.evaluate's recordings_in_distribution.csv for this dataset"
        )
    rec = recordings.assign(
        top1=recordings.guesses.str.split(" > ").str[0] == recordings.label,
        music=cries.background_kind.isin(["music", "youtube"]).values,
        leaked=cries.background_id.isin(leaked).values,
    )
    groups = {
        "all recordings": rec,
        "all but leaked music": rec[~rec.leaked],
        "music, leaked": rec[rec.leaked],
        "music, not leaked": rec[rec.music & ~rec.leaked],
    }
    bands = [b for b in ["≥25 dB", "15–25 dB", "5–15 dB", "<5 dB"] if b in set(rec.snr_band)]
    table = {}
    for name, g in groups.items():
        table[name] = {b: (round(100 * g[g.snr_band == b].top1.mean(), 1), int((g.snr_band == b).sum())) for b in bands}
    return pd.DataFrame(table).T


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="the build whose test split is checked")
    parser.add_argument("--train-from", type=Path, required=True, help="a build whose train split the model also saw")
    parser.add_argument("--recordings", type=Path, help="app's-path per-recording CSV of --dataset's test split")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    own_train = music_ids(split_rows(args.dataset, "train"))
    other_train = music_ids(split_rows(args.train_from, "train"))
    result = {"dataset": str(args.dataset), "train_from": str(args.train_from)}
    rows, leaked = {}, {}
    for split in ("validation", "test"):
        rows[split] = split_rows(args.dataset, split)
        held = music_ids(rows[split])
        leaked[split] = held & (own_train | other_train)
        print(f"{split}-split music files: {len(held)}; in {args.dataset}'s train split: {len(held & own_train)}; "
              f"in {args.train_from}'s train split: {len(held & other_train)}: {', '.join(sorted(leaked[split])) or '-'}")
        result[split] = {"music": sorted(held), "leaked": sorted(leaked[split])}
    if args.recordings:
        table = leak_table(rows["test"], leaked["test"], pd.read_csv(args.recordings))
        print("\ntop-1 % (recordings) by SNR band")
        print("| recordings | " + " | ".join(table.columns) + " |")
        print("| --- |" + " ---: |" * len(table.columns))
        for name, row in table.iterrows():
            print(f"| {name} | " + " | ".join(f"{top1:.1f} % ({n})" for top1, n in row) + " |")
        result["top1_by_band"] = {k: {b: {"top1": v[0], "n": v[1]} for b, v in row.items()} for k, row in table.iterrows()}
        result["recordings"] = str(args.recordings)
    if args.output:
        args.output.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
