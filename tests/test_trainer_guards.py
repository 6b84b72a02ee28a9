"""Checks before training: the output folder, the Hub push (against a local server), and Ctrl-C."""

from __future__ import annotations

import pytest

from trainer.guards import RunError, check_output_dir, check_push_target


def test_a_used_output_folder_needs_overwrite_which_drops_its_old_checkpoints(tmp_path):
    out = tmp_path / "run"
    check_output_dir(str(out), overwrite=False, resume=None)  # absent: fine
    (out / "checkpoint-4").mkdir(parents=True)
    (out / "config.json").write_text("{}")
    with pytest.raises(RunError, match=r"is not empty \(checkpoint-4, config.json\); pass --overwrite-output-dir"):
        check_output_dir(str(out), overwrite=False, resume=None)
    check_output_dir(str(out), overwrite=False, resume="true")  # a resume continues the run it holds
    assert (out / "checkpoint-4").is_dir()
    check_output_dir(str(out), overwrite=True, resume=None, is_main=False)  # only the main process deletes
    assert (out / "checkpoint-4").is_dir()
    check_output_dir(str(out), overwrite=True, resume="false")
    assert sorted(p.name for p in out.iterdir()) == ["config.json"]  # a later resume cannot pick a stale checkpoint
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunError, match="is a file"):
        check_output_dir(str(tmp_path / "file"), overwrite=True, resume=None)


@pytest.fixture
def hub(httpserver, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)  # conftest keeps the suite offline
    monkeypatch.setenv("HF_ENDPOINT", httpserver.url_for("").rstrip("/"))
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    return httpserver


def whoami(role="write", orgs=()):
    return {"name": "ash", "orgs": [{"name": o} for o in orgs], "auth": {"accessToken": {"role": role}}}


def test_a_push_the_hub_would_accept_passes(hub):
    hub.expect_request("/api/whoami-v2", headers={"authorization": "Bearer hf_test_token"}).respond_with_json(whoami(orgs=["kanto"]))
    assert check_push_target("ash/cries-ast") == "ash"
    assert check_push_target("kanto/cries-ast") == "ash"


def test_each_hub_refusal_is_one_clear_message(hub, monkeypatch):
    hub.expect_request("/api/whoami-v2").respond_with_json(whoami())
    with pytest.raises(RunError, match=r"user 'ash' cannot write to 'misty'; expected one of ash"):
        check_push_target("misty/cries-ast")
    with pytest.raises(RunError, match="not a valid Hugging Face Hub repository id"):
        check_push_target("a/b/c")
    hub.clear()
    hub.expect_request("/api/whoami-v2").respond_with_json(whoami(role="read"))
    with pytest.raises(RunError, match="token is read-only"):
        check_push_target("ash/cries-ast")
    hub.clear()
    hub.expect_request("/api/whoami-v2").respond_with_data("no", status=401)
    with pytest.raises(RunError, match=r"Hugging Face Hub at http://.* rejected the token \(HTTP 401\)"):
        check_push_target("ash/cries-ast")
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr("huggingface_hub.get_token", lambda: None)
    with pytest.raises(RunError, match=r"no Hugging Face Hub token; log in \(`hf auth login`\) or set HF_TOKEN"):
        check_push_target("ash/cries-ast")


def test_offline_mode_is_named(monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.raises(RunError, match=r"Hugging Face Hub is switched off here \(HF_HUB_OFFLINE=1\)"):
        check_push_target("ash/cries-ast")


def test_ctrl_c_during_training_ends_in_one_line(monkeypatch, tmp_path, capsys):
    from trainer import cli

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("trainer.train.train", interrupted)
    assert cli.main(["--dataset", "d", "--output-dir", str(tmp_path / "out")]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"interrupted: checkpoints so far are in {tmp_path / 'out'}; continue with --resume-from-checkpoint true"]
