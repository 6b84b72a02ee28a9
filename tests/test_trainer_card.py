"""The model card names where the weights came from without inventing Hub links for local folders."""

import json

from trainer.card import base_model_origin, model_card

CARD_ARGS = dict(
    dataset="user/cries",
    preset=None,
    label_names=["Bulbasaur", "Ivysaur"],
    metrics_markdown=None,
    calibration_report={"temperature": 1.0, "threshold": 0.5, "target_precision": 0.95},
    max_length=400,
    trainable="10 trainable parameters",
)


def test_hub_base_model_is_linked_and_kept_in_metadata(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    card = model_card(base_model="MIT/ast-finetuned-audioset-10-10-0.4593", **CARD_ARGS)
    assert (
        "[MIT/ast-finetuned-audioset-10-10-0.4593](http://127.0.0.1:9/MIT/ast-finetuned-audioset-10-10-0.4593)"
        in card
    )
    assert "base_model: MIT/ast-finetuned-audioset-10-10-0.4593" in card


def test_local_base_model_is_named_not_linked(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    stage1 = tmp_path / "default-stage1"
    stage1.mkdir()
    (stage1 / "train_summary.json").write_text(json.dumps({"init": "scratch", "preset": "small"}))
    card = model_card(base_model=str(stage1), **CARD_ARGS)
    assert (
        "fine-tuned from a local checkpoint (`default-stage1`, itself trained from random weights with preset `small`)"
        in card
    )
    assert "base_model" not in card
    assert (
        card.count("https://huggingface.co/") == 1 and "(https://huggingface.co/datasets/user/cries)" in card
    )


def test_a_curriculum_names_every_local_stage(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    stage1, stage2 = tmp_path / "default-stage1", tmp_path / "default-stage2"
    for folder, summary in ((stage1, {"init": "scratch", "preset": "small"}),
                            (stage2, {"init": "pretrained", "model": str(stage1)})):
        folder.mkdir()
        (folder / "train_summary.json").write_text(json.dumps(summary))
    origin, meta = base_model_origin(str(stage2), None)
    assert origin == (
        "fine-tuned from a local checkpoint (`default-stage2`, itself fine-tuned from a local checkpoint "
        "(`default-stage1`, itself trained from random weights with preset `small`))"
    )
    assert meta is None


def test_local_base_without_summary_and_scratch():
    origin, meta = base_model_origin("./runs/nowhere", None)
    assert origin == "fine-tuned from a local checkpoint (`nowhere`)" and meta is None
    assert base_model_origin(None, "small") == ("trained from random weights (preset `small`)", None)


def test_a_no_cry_class_is_explained_only_when_the_model_has_one():
    plain = model_card(base_model=None, **CARD_ARGS)
    with_class = model_card(base_model=None, **{**CARD_ARGS, "label_names": ["Bulbasaur", "Ivysaur", "no_cry"]})
    assert "`no_cry`, stands for recordings without a cry" in with_class
    assert "stands for recordings without a cry" not in plain and "3 classes" in with_class


def test_the_onset_setting_is_read_from_the_folder_and_stated(tmp_path):
    from trainer.card import write_model_card

    card_args = {**CARD_ARGS, "base_model": None}
    write_model_card(tmp_path, **card_args)
    assert "cry's onset" not in (tmp_path / "README.md").read_text()
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({"onset_below_peak_db": 20.0}))
    write_model_card(tmp_path, **card_args)
    assert "starts at the cry's onset (the first 10 ms frame within 20 dB of its loudest" in (
        tmp_path / "README.md").read_text()
    (tmp_path / "cry_locator.safetensors").write_bytes(b"")  # a folder carrying a locator: it decides instead
    write_model_card(tmp_path, **card_args)
    text = (tmp_path / "README.md").read_text()
    assert "starts where a learned cry locator (`cry_locator.safetensors`" in text and "within 20 dB" not in text


def test_an_installed_held_out_calibration_rewrites_the_card(tmp_path):
    from trainer.card import refresh_card_for_app_calibration

    summary_card = {k: v for k, v in CARD_ARGS.items() if k not in ("label_names", "metrics_markdown", "calibration_report")}
    (tmp_path / "train_summary.json").write_text(json.dumps({"card": {**summary_card, "base_model": None}}))
    (tmp_path / "config.json").write_text(json.dumps({"id2label": {"0": "Bulbasaur", "1": "Ivysaur"}}))
    app = {"temperature": 1.128, "threshold": 0.7737, "target_precision": 0.985}
    assert not refresh_card_for_app_calibration(tmp_path, app)  # no evaluate-stage report yet: card untouched
    assert not (tmp_path / "README.md").exists()
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "metrics.md").write_text("| group | clips |\n|---|---:|\n| all | 7 |\n")
    (tmp_path / "eval" / "calibration_report.json").write_text(
        json.dumps({"temperature": 1.0, "threshold": 0.771, "target_precision": 0.99}))
    assert refresh_card_for_app_calibration(tmp_path, app)
    card = (tmp_path / "README.md").read_text()
    assert "a temperature of 1.128 and the \"not sure\" threshold 0.774" in card
    assert "for precision 0.985" in card and "training-time threshold was 0.771, for precision 0.99" in card
    assert "| all | 7 |" in card
