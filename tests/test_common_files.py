"""Atomic writes and the one cache folder."""

from __future__ import annotations

import json
import os

import pytest

from common.files import CACHE_ENV, atomic_write, atomic_write_json, atomic_write_with, default_cache_dir
from common.hub import looks_local


def test_atomic_write_replaces_whole_files_and_leaves_nothing_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "sub" / "f.json"
    atomic_write_json(target, {"a": "é"})
    assert json.loads(target.read_text(encoding="utf-8")) == {"a": "é"}
    assert oct(target.stat().st_mode & 0o777) == "0o644"

    def half_then_fail(f):
        f.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write_with(target, half_then_fail)
    assert json.loads(target.read_text(encoding="utf-8")) == {"a": "é"}  # the old file, whole
    assert sorted(p.name for p in target.parent.iterdir()) == ["f.json"]  # no temporary left
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("no space")))
    with pytest.raises(OSError, match="no space"):
        atomic_write(target, "new")
    assert sorted(p.name for p in target.parent.iterdir()) == ["f.json"]


def test_one_environment_variable_moves_every_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    assert default_cache_dir("fbank") == tmp_path / "c" / "fbank"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x" / "who_tf_screamin"


@pytest.mark.parametrize(
    "source,local",
    [("gpt2", False), ("MIT/ast-finetuned-audioset-10-10-0.4593", False), ("./gpt2", True), ("/abs/model", True),
     ("~/m", True), ("runs/a/b", True), ("C:\\models\\m", True)],
)
def test_looks_local_is_one_rule(source, local):
    assert looks_local(source) is local
