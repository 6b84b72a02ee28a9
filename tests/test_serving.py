"""Admission gate, the request log line, and the upload folder's periodic and final clean-up."""

import logging
import os
import threading
import time

import pytest

from recognizer.serving import Busy, Gate, UploadFolder, log_request


def test_gate_admits_running_plus_waiting_then_refuses():
    gate = Gate(running=1, waiting=1)
    entered, release = threading.Event(), threading.Event()

    def hold():
        with gate:
            entered.set()
            release.wait(10)

    holders = [threading.Thread(target=hold) for _ in range(2)]  # one works, one waits for the slot
    for t in holders:
        t.start()
    assert entered.wait(10)
    deadline = time.monotonic() + 10
    while gate.inside < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(Busy):
        with gate:
            pass
    release.set()
    for t in holders:
        t.join(10)
    assert gate.inside == 0
    with gate:  # free again
        assert gate.inside == 1


def test_log_line_names_the_file_never_its_path(caplog):
    with caplog.at_level(logging.INFO, logger="who_tf_screamin"):
        log_request("identify", "refused", "bomb.webm: 31.0 s is longer\nthan 30 s", 0.21, "/tmp/gradio/abc123/bomb.webm")
    (line,) = [r.getMessage() for r in caplog.records]
    assert line == "identify refused file='bomb.webm' 210 ms reason=bomb.webm: 31.0 s is longer than 30 s"
    assert "/tmp" not in line


def test_sweep_removes_old_files_and_empty_old_folders(tmp_path):
    folder = UploadFolder(tmp_path / "uploads", max_age=60, every=3600, owned=False)
    (old_dir := folder.path / "abc").mkdir(parents=True)
    old, fresh, leftover = old_dir / "cry.wav", folder.path / "fresh.wav", folder.path / "tmpk2j3"
    for f in (old, fresh, leftover):
        f.write_bytes(b"RIFF")
    past = time.time() - 120
    for path in (old, leftover, old_dir):
        os.utime(path, (past, past))
    assert folder.sweep() == 2
    assert fresh.exists() and not old.exists() and not leftover.exists() and not old_dir.exists()
    folder.close()  # not owned: kept, only emptied of old files
    assert fresh.exists()


def test_a_private_folder_is_made_and_removed(tmp_path, monkeypatch):
    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    folder = UploadFolder.for_process(max_age=60, every=0.05).start()
    assert folder.owned and os.environ["GRADIO_TEMP_DIR"] == str(folder.path) and folder.path.is_dir()
    (folder.path / "x.wav").write_bytes(b"x")
    folder.close()
    assert not folder.path.exists()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    assert not UploadFolder.for_process(60, 60).owned


def test_the_app_has_gradio_recompute_its_monitoring_summary_rarely(monkeypatch, tmp_path):
    """Gradio's default rebuilds a pandas summary of past events after every request (5-17 ms of CPU each)."""
    import signal

    import app
    from tests.app_server import free_port

    monkeypatch.delenv("GRADIO_ANALYTICS_CACHE_FREQUENCY", raising=False)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    monkeypatch.setattr(app, "_warm_up", lambda: None)
    sigterm = signal.getsignal(signal.SIGTERM)
    try:
        app.main(server_port=free_port(), prevent_thread_lock=True)
        assert app.demo._queue.ANAYLTICS_CACHE_FREQUENCY == app.ANALYTICS_EVERY >= 100
    finally:
        app.demo.close()
        signal.signal(signal.SIGTERM, sigterm)
