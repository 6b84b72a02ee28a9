"""``python -m trainer`` / ``who-train``: parse the dataclass arguments and train.

Also the entry point of every process under ``torchrun`` or ``accelerate launch``; an ``accelerate launch --cpu``
that started only one process gets the ones it was asked for (see :mod:`trainer.distributed`).
"""

from __future__ import annotations

import json
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    from .args import parse_args
    from .data import DatasetError
    from .distributed import launch_cpu_processes, requested_cpu_processes
    from .guards import RunError, preflight
    from .model import ModelError

    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        model_args, data_args, training_args = parse_args(argv)
    except ValueError as err:  # a dataclass __post_init__ rejected a value
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        processes = requested_cpu_processes()
        if processes > 1:
            preflight(training_args)  # once, here, rather than after starting the processes
            return launch_cpu_processes(processes, argv)
        from .train import train

        summary = train(model_args, data_args, training_args)
    except (DatasetError, ModelError, RunError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted: checkpoints so far are in {training_args.output_dir}; continue with "
              "--resume-from-checkpoint true", file=sys.stderr)
        return 130
    print(json.dumps({k: summary.get(k) for k in ("max_length", "train_seconds", "test", "calibration")}, indent=2, default=str))
    return 0
