"""``python -m trainer`` / ``who-train``: parse the dataclass arguments and train."""

from __future__ import annotations

import json
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    from .args import parse_args
    from .data import DatasetError
    from .model import ModelError
    from .train import train

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        model_args, data_args, training_args = parse_args(argv)
    except ValueError as err:  # a dataclass __post_init__ rejected a value
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        summary = train(model_args, data_args, training_args)
    except (DatasetError, ModelError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps({k: summary.get(k) for k in ("max_length", "train_seconds", "test", "calibration")}, indent=2, default=str))
    return 0
