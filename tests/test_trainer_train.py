"""End to end: ``python -m trainer`` on tiny synthetic cry datasets, then ``pipeline()`` and ``trainer.evaluate``.

Two trainings are shared by several tests: a tiny AST from scratch (learns the separable set) and a head on a
frozen tiny "pretrained" checkpoint built for 1024 frames (trained on cached backbone outputs).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from frontend.audio import SAMPLE_RATE
from tests.synthetic import fake_cry
from tests.trainer_fixtures import NAMES, cry_index, make_cry_dataset, make_tiny_ast
from trainer.cli import main
from trainer.evaluate import main as evaluate_main
from trainer.features import FbankCollator, cached_fbanks
from trainer.model import POSITION_KEY, patch_grid

LABELS = list(NAMES[:3])
FAST = ["--disable-tqdm", "true", "--seed", "0", "--per-device-train-batch-size", "8", "--save-total-limit", "1"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run fastest on one thread, and the test machine is shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("trainer")


@pytest.fixture(scope="module")
def cries(work) -> Path:
    """3 species × (8 train, 3 validation, 4 test) one-second clips, in the builder's parquet layout."""
    return make_cry_dataset(work / "cries", n_classes=3, sizes={"train": 8, "validation": 3, "test": 4}, seconds=1.0)


def common(cries: Path, work: Path) -> list[str]:
    return ["--dataset", str(cries), "--cache-dir", str(work / "cache"), "--dataset-cache-dir", str(work / "hf"), *FAST]


@pytest.fixture(scope="module")
def scratch(cries, work) -> Path:
    out = work / "scratch"
    args = ["--output-dir", str(out), "--init", "scratch", "--preset", "tiny", "--num-train-epochs", "12"]
    assert main([*args, "--learning-rate", "3e-3", "--label-smoothing-factor", "0.05", *common(cries, work)]) == 0
    return out


class FakeHub:
    """Stands in for ``huggingface_hub.HfApi``: records what would be created and uploaded."""

    calls: list = []

    def __init__(self, endpoint=None, **kwargs):
        FakeHub.calls.append(("endpoint", endpoint))

    def create_repo(self, repo_id, **kwargs):
        FakeHub.calls.append(("create_repo", repo_id, kwargs.get("repo_type")))

    def upload_folder(self, *, repo_id, folder_path, ignore_patterns=None, **kwargs):
        from huggingface_hub.utils import filter_repo_objects

        files = [str(p.relative_to(folder_path)) for p in Path(folder_path).rglob("*") if p.is_file()]
        FakeHub.calls.append(("upload", repo_id, sorted(filter_repo_objects(files, ignore_patterns=ignore_patterns))))


WHOAMI = {"name": "trainer-tests", "orgs": [], "auth": {"accessToken": {"role": "write"}}}


@pytest.fixture(scope="module")
def head_only(cries, work):
    """Head on a frozen tiny checkpoint built for 1024 frames and 16 mel bins, pushed to a fake Hub.

    The Hub check before training asks a local server who the token belongs to; the upload goes to ``FakeHub``.
    """
    source = make_tiny_ast(work / "source", max_length=1024, num_mel_bins=16)
    out = work / "head"
    from pytest_httpserver import HTTPServer

    hub = HTTPServer(host="127.0.0.1", port=0)  # its own server: the session one keeps other tests' handlers
    hub.expect_request("/api/whoami-v2").respond_with_json(WHOAMI)
    hub.start()
    mp = pytest.MonkeyPatch()
    mp.setattr("huggingface_hub.HfApi", FakeHub)
    mp.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)  # conftest keeps the suite offline
    mp.setenv("HF_ENDPOINT", hub.url_for("").rstrip("/"))
    mp.setenv("HF_TOKEN", "hf_test_token")
    FakeHub.calls = []
    try:
        args = ["--output-dir", str(out), "--model", str(source), "--num-train-epochs", "6", "--learning-rate", "3e-2",
                "--label-smoothing-factor", "0.05"]  # the Trainer then reads the model's config
        assert main([*args, "--push-to-hub", "trainer-tests/cries-head", *common(cries, work)]) == 0
    finally:
        mp.undo()
        hub.stop()
    return source, out, list(FakeHub.calls), hub.url_for("").rstrip("/")


def test_scratch_model_learns_the_separable_set(scratch):
    from transformers import pipeline

    summary = json.loads((scratch / "train_summary.json").read_text())
    assert summary["test"]["accuracy"] > 0.9 and summary["init"] == "scratch"
    classify = pipeline("audio-classification", model=str(scratch))
    fresh = [(c, fake_cry(cry_index(c), seconds=1.0, seed=1000 + k)) for c in range(3) for k in range(3)]
    guesses = [classify(audio, top_k=1)[0]["label"] for _, audio in fresh]
    assert np.mean([g == LABELS[c] for (c, _), g in zip(fresh, guesses, strict=True)]) > 0.9


def test_output_folder_holds_what_the_app_and_the_hub_need(scratch, work):
    config = json.loads((scratch / "config.json").read_text())
    prep = json.loads((scratch / "preprocessor_config.json").read_text())
    assert config["id2label"] == {str(i): n for i, n in enumerate(LABELS)} and config["label2id"]["Squirtle"] == 2
    assert config["max_length"] == prep["max_length"] == 112  # 98 frames of a 1 s clip, rounded up to whole patches
    from datasets import load_dataset

    train = load_dataset(str(work / "cries"), cache_dir=str(work / "hf"))["train"]
    mean, std = cached_fbanks(train, 64, work / "cache").stats()
    assert (prep["mean"], prep["std"]) == pytest.approx((mean, std)) and prep["num_mel_bins"] == 64
    from transformers import ASTForAudioClassification

    summary = json.loads((scratch / "train_summary.json").read_text())
    saved, kept = ASTForAudioClassification.from_pretrained(scratch), ASTForAudioClassification.from_pretrained(summary["best_checkpoint"])
    temperature = summary["calibration"]["temperature"]  # folded into the head: pipeline() gives calibrated scores
    for (key, a), b in zip(saved.state_dict().items(), kept.state_dict().values(), strict=True):
        expected = b / temperature if key.startswith("classifier.dense") else b
        assert torch.allclose(a, expected, rtol=1e-6, atol=1e-7), key
    assert json.loads((scratch / "calibration.json").read_text())["temperature"] == 1.0
    pokedex = json.loads((scratch / "pokedex.json").read_text())
    assert pokedex["species"]["Charmander"]["pokedex_id"] == 2 and pokedex["species"]["Squirtle"]["names"]["ja"] == "Squirtle-ja"
    calibration = json.loads((scratch / "calibration.json").read_text())
    assert calibration["temperature"] > 0 and 0 <= calibration["threshold"] <= 1 and calibration["target_precision"] == 0.95
    card = (scratch / "README.md").read_text()
    assert "pipeline_tag: audio-classification" in card and "| all | 12 |" in card and "## Limitations" in card
    curves = (scratch / "learning_curves.csv").read_text().splitlines()
    assert curves[0].startswith("epoch,step,train_loss,eval_loss,eval_accuracy") and len(curves) >= 4
    for name in ("learning_curves.png", "eval-test/reliability.png", "eval-test/confusion_matrix.png", "eval-test/robustness.png"):
        assert (scratch / name).read_bytes()[:4] == b"\x89PNG"
    per_class = (scratch / "eval-test" / "per_class.csv").read_text().splitlines()
    assert per_class[0].startswith("label,name,support,precision,recall,f1") and len(per_class) == 4


def test_evaluate_cli_reruns_the_report_on_the_saved_folder(scratch, cries, work):
    out = work / "reeval"
    evaluate_main(["--model", str(scratch), "--dataset", str(cries), "--output-dir", str(out), "--cache-dir", str(work / "cache"),
                   "--dataset-cache-dir", str(work / "hf")])
    again = json.loads((out / "metrics.json").read_text())
    during = json.loads((scratch / "eval-test" / "metrics.json").read_text())
    assert again["overall"] == pytest.approx(during["overall"], abs=1e-5)
    assert set(again["groups"]) == {"rendition", "condition", "snr_band", "background_kind", "capture_snr_band"}
    assert list(again["groups"]["snr_band"]) == ["<5 dB", "5–15 dB", "15–25 dB", "≥25 dB", "no background"]
    assert sum(g["n"] for g in again["groups"]["condition"].values()) == 12
    assert "| rendition = legacy |" in (out / "metrics.md").read_text()


def test_evaluate_can_refit_the_calibration_on_validation(scratch, cries, work):
    model = work / "recalibrated"
    shutil.copytree(scratch, model, ignore=shutil.ignore_patterns("checkpoint-*"))
    before = json.loads((model / "calibration.json").read_text())
    common = ["--model", str(model), "--dataset", str(cries), "--cache-dir", str(work / "cache"),
              "--dataset-cache-dir", str(work / "hf")]
    evaluate_main(common + ["--output-dir", str(work / "recal"), "--recalibrate-on", "validation",
                            "--target-precision", "1.0"])
    after = json.loads((model / "calibration.json").read_text())
    fitted = json.loads((work / "recal" / "calibration_report.json").read_text())
    assert after["target_precision"] == 1.0 and before["target_precision"] == 0.95
    assert fitted["split"] == "validation" and after["threshold"] == pytest.approx(fitted["threshold"])
    assert after["threshold"] >= before["threshold"]  # a stricter precision never lowers the threshold
    report = json.loads((work / "recal" / "metrics.json").read_text())
    assert report["not_sure"]["threshold"] == pytest.approx(after["threshold"])
    card = (model / "README.md").read_text()
    assert f"threshold ({after['threshold']:.3f}, chosen on validation for precision 1.00)" in card
    assert card.count("## Evaluation on `test`") == 1 and "## Intended use" in card
    with pytest.raises(ValueError, match="another"):
        evaluate_main(common + ["--recalibrate-on", "test"])


def test_head_trained_on_cached_embeddings_predicts_like_the_saved_full_model(head_only, cries, work):
    from transformers import ASTFeatureExtractor, ASTForAudioClassification

    source_dir, out, _, _ = head_only
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["head_only_on_cached_embeddings"] and summary["parameters"]["trainable"] < 200
    source = ASTForAudioClassification.from_pretrained(source_dir)
    model = ASTForAudioClassification.from_pretrained(out).eval()
    extractor = ASTFeatureExtractor.from_pretrained(out)
    # The backbone is the checkpoint's, with its position embeddings cut from 101 to 10 time patches.
    assert patch_grid(model.config) == (1, 10) and extractor.max_length == model.config.max_length == 106
    old, new = source.state_dict(), model.state_dict()
    backbone = [k for k in new if k.startswith("audio_spectrogram_transformer.") and k != POSITION_KEY]
    assert all(torch.equal(new[k], old[k]) for k in backbone)
    cut = old[POSITION_KEY][0, 2:].reshape(1, 101, -1)[:, 50 - 5 : 50 - 5 + 10]
    assert torch.equal(new[POSITION_KEY][0, 2:].reshape(1, 10, -1), cut)
    # The cached path (classifier on stored pooled outputs) equals the full forward pass of the saved model.
    from datasets import load_dataset

    from trainer.embedding_cache import cached_embeddings
    from trainer.evaluate import predict_logits

    test = load_dataset(str(cries), cache_dir=str(work / "hf"))["test"]
    store = cached_fbanks(test, 16, work / "cache")
    entries = set((work / "cache" / "embeddings").iterdir())
    collator = FbankCollator(extractor.max_length, extractor.mean, extractor.std)
    emb = cached_embeddings(model, store, collator, work / "cache")
    assert set((work / "cache" / "embeddings").iterdir()) == entries  # a cache hit: same backbone, same key
    with torch.no_grad():
        cached_logits = model.classifier(torch.from_numpy(np.array(emb.embeddings))).numpy()
    full_logits = predict_logits(model, extractor, store, batch_size=5)
    np.testing.assert_allclose(cached_logits, full_logits, rtol=1e-4, atol=1e-5)
    assert np.array_equal(cached_logits.argmax(1), full_logits.argmax(1))
    # The report written during training (cached path) is what trainer.evaluate (full forward) finds.
    during = json.loads((out / "eval-test" / "metrics.json").read_text())
    evaluate_main(["--model", str(out), "--dataset", str(cries), "--output-dir", str(work / "head-eval"),
                   "--cache-dir", str(work / "cache"), "--dataset-cache-dir", str(work / "hf")])
    again = json.loads((work / "head-eval" / "metrics.json").read_text())
    assert again["overall"] == pytest.approx(during["overall"], abs=1e-5)


def test_head_only_folder_loads_in_pipeline_and_was_pushed_without_checkpoints(head_only):
    from transformers import pipeline

    _, out, calls, endpoint = head_only
    result = pipeline("audio-classification", model=str(out))(fake_cry(0, seconds=1.0), top_k=3)
    assert sorted(r["label"] for r in result) == sorted(LABELS)
    assert calls[0] == ("endpoint", endpoint)
    assert ("create_repo", "trainer-tests/cries-head", "model") in calls
    uploaded = next(c[2] for c in calls if c[0] == "upload")
    assert {"config.json", "model.safetensors", "preprocessor_config.json", "pokedex.json", "calibration.json", "README.md"} <= set(uploaded)
    assert any(p.startswith("eval-test/") for p in uploaded) and not any(p.startswith("checkpoint-") for p in uploaded)
    assert any(p.name.startswith("checkpoint-") for p in out.iterdir())  # they exist locally, they just stay local


def test_resume_restores_every_weight_and_continues_exactly(cries, work):
    """Two epochs in one go equal one epoch, then a resume for the second: bit for bit, up to float noise.

    A resume that skipped any weight (transformers#43701 leaves the blocks random) would diverge.
    """
    from safetensors.torch import load_file

    once, resumed = work / "once", work / "resumed"
    args = ["--init", "scratch", "--preset", "tiny", "--num-train-epochs", "2", *common(cries, work), "--save-total-limit", "5"]
    assert main(["--output-dir", str(once), *args]) == 0
    steps = sorted(int(p.name.split("-")[1]) for p in once.glob("checkpoint-*"))
    assert len(steps) == 2
    resumed.mkdir()
    shutil.copytree(once / f"checkpoint-{steps[0]}", resumed / f"checkpoint-{steps[0]}")
    assert main(["--output-dir", str(resumed), "--resume-from-checkpoint", "true", *args]) == 0
    a = load_file(once / f"checkpoint-{steps[1]}" / "model.safetensors")
    b = load_file(resumed / f"checkpoint-{steps[1]}" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    history = json.loads((resumed / "log_history.json").read_text())
    assert [h["epoch"] for h in history if "eval_loss" in h] == [1.0, 2.0]


def test_bad_input_on_the_command_line_fails_with_a_clear_message(cries, work, capsys, tmp_path):
    missing = ["--output-dir", str(tmp_path / "o"), "--model", str(tmp_path / "no-such-model"), *common(cries, work)]
    assert main(missing) == 2
    assert "no-such-model: no such folder; expected a model folder or a Hub id" in capsys.readouterr().err
    other = make_tiny_ast(tmp_path / "o2" / "checkpoint-7", max_length=112, num_mel_bins=64, labels=["Mew", "Mewtwo", "Eevee"])
    resume = ["--output-dir", str(tmp_path / "o2"), "--init", "scratch", "--preset", "tiny", "--resume-from-checkpoint", str(other)]
    assert main([*resume, *common(cries, work)]) == 2
    assert "was trained on 3 labels" in capsys.readouterr().err
    no_labels = make_cry_dataset(tmp_path / "bad", layout="disk", n_classes=2, sizes={"train": 1, "validation": 1}, seconds=0.3)
    from datasets import load_from_disk

    load_from_disk(str(no_labels)).remove_columns("label").save_to_disk(str(tmp_path / "bad2"))
    assert main(["--output-dir", str(tmp_path / "o3"), "--dataset", str(tmp_path / "bad2"), "--init", "scratch"]) == 2
    assert "has no 'label' column" in capsys.readouterr().err


def test_uncached_features_train_the_same_way(cries, work, scratch):
    out = work / "uncached"
    args = ["--output-dir", str(out), "--init", "scratch", "--preset", "tiny", "--num-train-epochs", "1"]
    assert main([*args, "--cache-features", "false", *common(cries, work)]) == 0
    a = json.loads((out / "preprocessor_config.json").read_text())
    b = json.loads((scratch / "preprocessor_config.json").read_text())
    assert a["max_length"] == b["max_length"] and (a["mean"], a["std"]) == pytest.approx((b["mean"], b["std"]), rel=1e-5)


def test_band_normalisation_is_saved_inherited_and_used_by_the_recogniser(cries, work, capsys):
    from recognizer.predict import Recognizer
    from trainer.features import FbankCollator

    banded, inherited, plain = work / "banded", work / "banded-more", work / "banded-off"
    tiny = ["--init", "scratch", "--preset", "tiny", "--num-train-epochs", "1"]
    assert main(["--output-dir", str(banded), *tiny, "--band-normalisation", "mean", *common(cries, work)]) == 0
    more = ["--init", "pretrained", "--model", str(banded), "--freeze", "none", "--num-train-epochs", "1"]
    assert main(["--output-dir", str(inherited), *more, *common(cries, work)]) == 0
    assert main(["--output-dir", str(plain), *more, "--band-normalisation", "none", *common(cries, work)]) == 0
    bands = [json.loads((d / "preprocessor_config.json").read_text()).get("band_normalisation") for d in (banded, inherited, plain)]
    assert bands == ["mean", "mean", None]
    extractor = Recognizer.from_pretrained(str(banded)).bundle.feature_extractor
    assert FbankCollator.for_extractor(extractor).bands == "mean"
    assert main(["--output-dir", str(work / "banded-bad"), *tiny, "--band-normalisation", "pcen", *common(cries, work)]) == 2
    assert "band normalisation 'pcen': expected one of none, mean" in capsys.readouterr().err


def test_a_curriculum_computes_each_split_fbanks_once(cries, work):
    """Stage 1 on some conditions reads a view of the whole train split's fbanks; stage 2 (all) reuses them."""
    cache = work / "curriculum-cache"
    args = ["--dataset", str(cries), "--cache-dir", str(cache), "--dataset-cache-dir", str(work / "hf"), *FAST,
            "--num-train-epochs", "1", "--early-stopping-patience", "0"]
    stage1, stage2 = work / "curriculum-1", work / "curriculum-2"
    assert main(["--output-dir", str(stage1), "--init", "scratch", "--preset", "tiny",
                 "--train-conditions", "clean,augmented", *args]) == 0
    entries = sorted(p.name for p in (cache / "fbank").iterdir())
    assert len(entries) == 3  # train (whole split), validation, test
    summary = json.loads((stage1 / "train_summary.json").read_text())
    assert summary["clips"]["train"] == 16  # 2 of the 3 conditions of 24 rows
    from datasets import load_dataset

    train = load_dataset(str(cries), cache_dir=str(work / "hf"))["train"]
    kept = [i for i, c in enumerate(train["condition"]) if c in ("clean", "augmented")]
    prep = json.loads((stage1 / "preprocessor_config.json").read_text())
    assert (prep["mean"], prep["std"]) == pytest.approx(cached_fbanks(train, 64, cache).select(kept).stats())
    assert main(["--output-dir", str(stage2), "--init", "pretrained", "--model", str(stage1), "--freeze", "none", *args]) == 0
    assert sorted(p.name for p in (cache / "fbank").iterdir()) == entries
    assert json.loads((stage2 / "train_summary.json").read_text())["clips"]["train"] == 24
    assert "itself trained from random weights with preset `tiny`" in (stage2 / "README.md").read_text()


def test_an_extra_train_dataset_is_trained_on_and_named_on_the_card(cries, work):
    """A supplement's train split joins --dataset's (each keeps its fbank cache entry); validation and test stay --dataset's."""
    extra = make_cry_dataset(work / "supplement", n_classes=3, sizes={"train": 2, "validation": 7}, seconds=1.0, seed=3)
    out, cache = work / "with-supplement", work / "supplement-cache"
    args = ["--dataset", str(cries), "--cache-dir", str(cache), "--dataset-cache-dir", str(work / "hf"), *FAST]
    assert main(["--output-dir", str(out), "--init", "scratch", "--preset", "tiny", "--num-train-epochs", "1",
                 "--early-stopping-patience", "0", "--extra-train-datasets", str(extra), *args]) == 0
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["clips"] == {"train": 24 + 6, "validation": 9, "test": 12}
    assert summary["extra_train_datasets"] == [str(extra)] == summary["card"]["extra_train_datasets"]
    rows = sorted(json.loads((p / "meta.json").read_text())["rows"] for p in (cache / "fbank").iterdir())
    assert rows == [6, 9, 12, 24]  # the supplement, validation, test, the main train split: no 30-row entry
    card = (out / "README.md").read_text()
    assert "with the train split of a local dataset folder (`supplement`) built with `python -m dataset_builder` appended" in card


def test_a_second_run_into_a_used_folder_stops_before_training(scratch, cries, work, capsys):
    """Like run_audio_classification.py: a non-empty --output-dir needs --overwrite-output-dir (or a resume)."""
    before = sorted(p.name for p in scratch.iterdir())
    started = time.monotonic()
    args = ["--output-dir", str(scratch), "--init", "scratch", "--preset", "tiny", "--num-train-epochs", "1"]
    assert main([*args, *common(cries, work)]) == 2
    err = capsys.readouterr().err
    assert "is not empty" in err and "--overwrite-output-dir" in err and time.monotonic() - started < 30
    assert sorted(p.name for p in scratch.iterdir()) == before


def test_resuming_a_checkpoint_of_another_model_says_which_setting_differs(cries, work, capsys, tmp_path):
    """Same labels, other shapes (hidden size 32, not the tiny preset's 64): refused before the Trainer loads it."""
    out = tmp_path / "o4"
    make_tiny_ast(out / "checkpoint-3", max_length=112, num_mel_bins=64, labels=LABELS)
    args = ["--output-dir", str(out), "--init", "scratch", "--preset", "tiny", "--resume-from-checkpoint", "true"]
    assert main([*args, *common(cries, work)]) == 2
    err = capsys.readouterr().err
    assert "holds another model (hidden_size 32 here 64; intermediate_size 64 here 128; frequency_stride 10" in err
    assert "--overwrite-output-dir" in err


def test_push_to_an_unreachable_hub_fails_in_seconds_before_any_checkpoint(cries, work, capsys, tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)  # conftest keeps the suite offline
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    out = tmp_path / "pushed"
    started = time.monotonic()
    args = ["--output-dir", str(out), "--init", "scratch", "--preset", "tiny", "--push-to-hub", "me/cries"]
    assert main([*args, *common(cries, work)]) == 2
    assert time.monotonic() - started < 60
    err = capsys.readouterr().err
    assert f"--push-to-hub me/cries: cannot reach the Hugging Face Hub at http://127.0.0.1:{port}" in err
    assert not out.exists() or not any(out.iterdir())


def test_any_audio_dataset_trains_with_a_held_out_validation_fraction(work, tmp_path):
    """22.05 kHz audio, a ClassLabel of other names, only train and test: resampled, split, trained, carded."""
    from datasets import Audio, ClassLabel, Dataset, DatasetDict
    from huggingface_hub import ModelCard
    from transformers import pipeline

    from tests.synthetic import audio_bytes

    names, rate = ["dog", "cat", "bird"], 22050

    def split(per_class: int, seed: int) -> Dataset:
        clips = [(c, fake_cry(cry_index(c), seconds=1.0, sample_rate=rate, seed=seed + k))
                 for c in range(3) for k in range(per_class)]
        rows = {"audio": [{"bytes": audio_bytes(x, sample_rate=rate, fmt="wav"), "path": None} for _, x in clips],
                "label": [c for c, _ in clips]}
        return Dataset.from_dict(rows).cast_column("audio", Audio(sampling_rate=rate)).cast_column("label", ClassLabel(names=names))

    DatasetDict(train=split(10, 0), test=split(3, 100)).save_to_disk(str(tmp_path / "animals"))
    out = tmp_path / "animals-model"
    args = ["--dataset", str(tmp_path / "animals"), "--train-val-split", "0.2", "--output-dir", str(out), "--init", "scratch",
            "--preset", "tiny", "--num-train-epochs", "8", "--learning-rate", "3e-3", "--cache-dir", str(work / "cache"),
            "--report-to", "tensorboard", "--early-stopping-patience", "0", *FAST]
    assert main(args) == 0
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(next(out.glob("runs/*/events.out.tfevents.*")).parent)).Reload()
    assert len(events.Scalars("eval/accuracy")) == 8  # one point per epoch
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["clips"] == {"train": 24, "validation": 6, "test": 9} and summary["world_size"] == 1
    result = pipeline("audio-classification", model=str(out))(fake_cry(cry_index(1), seconds=1.0, seed=7), top_k=3)
    assert sorted(r["label"] for r in result) == sorted(names)
    card = ModelCard.load(out / "README.md")
    index = card.data.to_dict()["model-index"][0]["results"][0]
    assert index["dataset"]["split"] == "test" and index["metrics"][0]["value"] == pytest.approx(summary["test"]["accuracy"], abs=1e-4)
    text = card.text
    assert "PATH_OR_REPO" not in text and f"pipeline(\"audio-classification\", model='{out}')" in text
    assert "- learning_rate: 0.003" in text and "- total_train_batch_size: 8" in text and "- transformers 5." in text


def test_the_onset_setting_is_saved_and_checked(cries, work, capsys):
    out = work / "onset"
    tiny = ["--init", "scratch", "--preset", "tiny", "--num-train-epochs", "1"]
    assert main(["--output-dir", str(out), *tiny, "--onset-below-peak-db", "20", *common(cries, work)]) == 0
    assert json.loads((out / "preprocessor_config.json").read_text())["onset_below_peak_db"] == 20.0
    assert main(["--output-dir", str(work / "onset-bad"), *tiny, "--onset-below-peak-db", "-3", *common(cries, work)]) == 2
    assert "--onset-below-peak-db -3.0: expected dB in (0, 60]" in capsys.readouterr().err


def test_a_cry_locator_cuts_the_examples_is_saved_inherited_and_read_by_the_recogniser(cries, work, capsys):
    from frontend.levels import ONSET_PAD_SECONDS
    from frontend.locator import LOCATOR_FILE, CryLocator, build_network
    from recognizer.predict import Recognizer

    torch.manual_seed(0)
    locator_file = work / "locator.safetensors"
    CryLocator(build_network(n_mels=64, channels=8, hidden=4), {"n_mels": 64, "channels": 8, "hidden": 4}).save(locator_file)
    located, inherited, dropped = work / "located", work / "located-more", work / "located-off"
    tiny = ["--init", "scratch", "--preset", "tiny", "--num-train-epochs", "1"]
    assert main(["--output-dir", str(located), *tiny, "--cry-locator", str(locator_file), *common(cries, work)]) == 0
    assert (located / LOCATOR_FILE).read_bytes() == locator_file.read_bytes()
    more = ["--init", "pretrained", "--model", str(located), "--freeze", "none", "--num-train-epochs", "1"]
    assert main(["--output-dir", str(inherited), *more, *common(cries, work)]) == 0
    assert main(["--output-dir", str(dropped), *more, "--cry-locator", "none", *common(cries, work)]) == 0
    assert (inherited / LOCATOR_FILE).is_file() and not (dropped / LOCATOR_FILE).exists()
    recogniser = Recognizer.from_pretrained(str(located))
    assert recogniser.locator is not None and Recognizer.from_pretrained(str(dropped)).locator is None
    recording = np.concatenate([0.02 * np.random.default_rng(0).standard_normal(SAMPLE_RATE).astype(np.float32),
                                fake_cry(0, 1.0)])
    onset = recogniser.locator.onset_seconds(recording)
    expected = min(max(0.0, onset - ONSET_PAD_SECONDS), 2.0 - 0.25)
    assert recogniser.window_logits(recording).windows[0].start / SAMPLE_RATE == pytest.approx(expected, abs=0.011)
    reeval = work / "located-reeval"  # the evaluation cuts the test clips with the folder's locator, as training did
    evaluate_main(["--model", str(located), "--dataset", str(cries), "--output-dir", str(reeval), "--cache-dir",
                   str(work / "cache"), "--dataset-cache-dir", str(work / "hf")])
    assert json.loads((reeval / "metrics.json").read_text())["overall"] == pytest.approx(
        json.loads((located / "eval-test" / "metrics.json").read_text())["overall"], abs=1e-5)
    assert main(["--output-dir", str(work / "located-bad"), *tiny, "--cry-locator", str(work / "nowhere"),
                 *common(cries, work)]) == 2
    assert f"--cry-locator {work / 'nowhere'}: not a file" in capsys.readouterr().err
