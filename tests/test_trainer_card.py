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
