"""Data-parallel training on CPU processes: make ``accelerate launch --cpu --num_processes N`` start N of them.

accelerate 1.15 starts a single process for ``--cpu`` (several CPU processes need MPI and a hostfile), so the run
would silently train alone. The trainer notices it was started that way (``ACCELERATE_USE_CPU`` and a
``MASTER_ADDR`` but no ``WORLD_SIZE``), reads ``--num_processes`` from its launcher's command line and starts the
processes itself with torch's elastic launcher (what ``torchrun`` runs); they join one gloo job. ``torchrun`` and
``accelerate launch`` on GPUs start their processes themselves and are left alone.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TRUE = ("1", "true", "yes")


def requested_cpu_processes(environ=None, cmdline: list[str] | None = None) -> int:
    """The processes ``accelerate launch --cpu`` was asked for, when it started only this one; else 1."""
    env = os.environ if environ is None else environ
    if env.get("WORLD_SIZE") or env.get("ACCELERATE_USE_CPU", "").lower() not in TRUE or not env.get("MASTER_ADDR"):
        return 1
    return launcher_num_processes(parent_cmdline() if cmdline is None else cmdline)


def parent_cmdline() -> list[str]:
    """The parent process's command line (Linux ``/proc``; empty elsewhere)."""
    try:
        raw = Path(f"/proc/{os.getppid()}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def launcher_num_processes(cmdline: list[str]) -> int:
    """``--num_processes`` of an ``accelerate launch`` command line, parsed by accelerate's own parser (1 if none)."""
    starts = [i for i, a in enumerate(cmdline) if a == "launch" or a.endswith("accelerate.commands.launch")]
    if not starts:
        return 1
    from accelerate.commands.launch import launch_command_parser

    try:
        args, _ = launch_command_parser().parse_known_args(cmdline[starts[0] + 1 :])
    except SystemExit:
        return 1
    return max(int(args.num_processes or 1), 1)


def launch_cpu_processes(n: int, argv: list[str]) -> int:
    """Run ``python -m trainer ARGV`` as ``n`` gloo processes (torch's elastic launcher); its exit status."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    cmd = [
        "--nproc_per_node", str(n),
        "--master_addr", os.environ.get("MASTER_ADDR", "127.0.0.1"),
        "--master_port", os.environ.get("MASTER_PORT", "29500"),
        "-m", "trainer", *argv,
    ]
    print(f"trainer: accelerate launch --cpu started one process; starting {n} CPU processes (gloo)", file=sys.stderr)
    try:
        run(parse_args(cmd))
    except ChildFailedError as err:
        failures = err.failures
        first = failures[min(failures)] if failures else None
        code = getattr(first, "exitcode", 1) if first else 1
        return code if isinstance(code, int) and code > 0 else 1
    return 0
