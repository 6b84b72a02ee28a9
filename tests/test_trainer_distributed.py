"""``accelerate launch --cpu --num_processes 2 -m trainer``: one data-parallel job of two gloo processes.

accelerate starts a single process for ``--cpu``; the trainer starts the two it was asked for (torch's elastic
launcher, what ``torchrun`` runs). The main process builds the fbank cache, the other reads it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.trainer_fixtures import make_cry_dataset
from trainer.distributed import launcher_num_processes, requested_cpu_processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_process_count_comes_from_accelerates_own_command_line():
    line = ["/x/python", "/x/accelerate", "launch", "--cpu", "--num_processes", "3", "-m", "trainer", "--num_processes", "9"]
    assert launcher_num_processes(line) == 3  # the trainer's own flags after the script are not accelerate's
    assert launcher_num_processes(["/x/python", "-m", "accelerate.commands.launch", "--cpu", "--num_processes=2", "t.py"]) == 2
    assert launcher_num_processes(["/x/python", "-m", "trainer"]) == 1
    env = {"ACCELERATE_USE_CPU": "True", "MASTER_ADDR": "127.0.0.1"}
    assert requested_cpu_processes(env, line) == 3
    assert requested_cpu_processes({**env, "WORLD_SIZE": "3"}, line) == 1  # already one of the launched processes
    assert requested_cpu_processes({"ACCELERATE_USE_CPU": "True"}, line) == 1  # accelerate sets MASTER_ADDR only for N > 1


def accelerate_launch() -> list[str]:
    """The ``accelerate launch`` of this environment (its console script, else the module)."""
    script = Path(sys.executable).parent / "accelerate"
    return [str(script), "launch"] if script.exists() else [sys.executable, "-m", "accelerate.commands.launch"]


def test_accelerate_launch_cpu_trains_one_job_on_two_processes(tmp_path, capsys):
    cries = make_cry_dataset(tmp_path / "cries", n_classes=3, sizes={"train": 4, "validation": 2, "test": 2}, seconds=0.5)
    out, cache = tmp_path / "out", tmp_path / "cache"
    cmd = [*accelerate_launch(), "--cpu", "--num_processes", "2", "--num_cpu_threads_per_process", "1",
           "--main_process_port", str(free_port()), "-m", "trainer",
           "--dataset", str(cries), "--init", "scratch", "--preset", "tiny", "--output-dir", str(out),
           "--num-train-epochs", "1", "--per-device-train-batch-size", "4", "--cache-dir", str(cache),
           "--dataset-cache-dir", str(tmp_path / "hf"), "--disable-tqdm", "true", "--seed", "0"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-3000:]
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["world_size"] == 2
    # 12 train clips, 4 per process and step: 2 steps with two processes (one alone would take 3)
    steps = [h["step"] for h in json.loads((out / "log_history.json").read_text())]
    assert max(steps) == 2
    # The caches are built once, by the main process; the other finds each entry written.
    assert log.count("fbank cache written") == 3 and log.count("fbank cache hit") == 3
    assert len(list((cache / "fbank").iterdir())) == 3
    assert "pin_memory" not in log

    # A second run into that folder stops before any work (in-process: the guard is the same in every process).
    from trainer.cli import main

    assert main(cmd[cmd.index("trainer") + 1 :]) == 2
    assert "--overwrite-output-dir" in capsys.readouterr().err


def test_torchrun_on_cpu_joins_one_gloo_job(tmp_path):
    """Without a GPU, TrainArguments turn use_cpu on, so torchrun's processes form one job instead of copies."""
    from trainer.args import TrainArguments, has_accelerator

    if has_accelerator():
        pytest.skip("a GPU is present: torchrun uses it")
    args = TrainArguments(output_dir=str(tmp_path))
    assert args.use_cpu and not args.dataloader_pin_memory
