"""The console scripts pyproject.toml declares point at real functions, and set-up installs them."""

import importlib
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_console_script_names_a_function_that_exists():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert {"who-build-dataset", "who-train", "who-evaluate"} <= set(scripts)
    for name, target in scripts.items():
        module, _, attr = target.partition(":")
        assert callable(getattr(importlib.import_module(module), attr, None)), f"{name} = {target}: no such function"


def test_setup_installs_the_project_in_editable_mode():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert "pip install -q --no-deps -e ." in setup
    dev = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert any(line.startswith("nbconvert==") for line in dev) and any(line.startswith("tensorboard==") for line in dev)
