"""trainer.cosine_head: a cosine classifier in AST's ordinary head, kept so through training, loaded as a plain model."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from transformers import ASTConfig, ASTForAudioClassification

from tests.trainer_fixtures import NAMES, make_cry_dataset, make_tiny_ast
from trainer.cli import main
from trainer.cosine_head import CosineHeadCallback, is_cosine, make_cosine, project_rows, row_length

FAST = ["--disable-tqdm", "true", "--seed", "0", "--per-device-train-batch-size", "8", "--save-total-limit", "1"]


def _tiny_model(seed: int = 0) -> ASTForAudioClassification:
    torch.manual_seed(seed)
    config = ASTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, num_mel_bins=16,
                       max_length=100, num_labels=5)
    model = ASTForAudioClassification(config).eval()
    with torch.no_grad():  # a trained-looking head: affine layer norm, biases, rows of many lengths
        model.classifier.layernorm.weight.uniform_(0.5, 2.0)
        model.classifier.layernorm.bias.normal_(0, 0.3)
        model.classifier.dense.bias.normal_(0, 1.0)
        model.classifier.dense.weight.mul_(torch.linspace(0.5, 3.0, 5)[:, None])
    return model


def test_logits_are_the_scaled_cosine_and_the_rows_keep_their_directions():
    model = _tiny_model()
    head = model.classifier
    before = head.dense.weight.detach().clone()
    assert not is_cosine(head)
    make_cosine(head, 12.0)
    assert is_cosine(head, 12.0) and not is_cosine(head, 10.0)
    after = head.dense.weight.detach()
    cos_rows = torch.nn.functional.cosine_similarity(before, after, dim=1)
    assert torch.allclose(cos_rows, torch.ones(5), atol=1e-6)
    assert torch.allclose(after.norm(dim=1), torch.full((5,), 12.0 / math.sqrt(32)), atol=1e-5)
    assert not any(p.requires_grad for p in (head.layernorm.weight, head.layernorm.bias, head.dense.bias))
    assert head.dense.weight.requires_grad

    pooled = torch.randn(7, 32) * 3 + 1
    expected = 12.0 * torch.nn.functional.cosine_similarity(
        torch.nn.functional.layer_norm(pooled, (32,))[:, None, :], after[None, :, :], dim=2)
    assert torch.allclose(head(pooled), expected, atol=1e-3)


def test_rows_go_back_on_their_sphere_after_a_step():
    model = _tiny_model()
    make_cosine(model.classifier, 8.0)
    with torch.no_grad():
        model.classifier.dense.weight.mul_(torch.rand(5, 1) + 0.5)
    assert not is_cosine(model.classifier, 8.0)
    CosineHeadCallback(model.classifier, 8.0).on_step_end(None, None, None)
    assert is_cosine(model.classifier, 8.0)
    project_rows(model.classifier, 4.0)
    assert row_length(model.classifier, 4.0) == pytest.approx(4.0 / math.sqrt(32)) and is_cosine(model.classifier, 4.0)
    with pytest.raises(ValueError, match="positive logit scale"):
        make_cosine(model.classifier, 0.0)


@pytest.fixture(scope="module")
def cries(tmp_path_factory):
    work = tmp_path_factory.mktemp("cosine")
    return work, make_cry_dataset(work / "cries", n_classes=3, sizes={"train": 8, "validation": 3, "test": 4}, seconds=1.0)


@pytest.mark.parametrize("freeze", ["backbone", "none"])
def test_the_trainer_keeps_the_head_cosine_and_saves_a_plain_model(cries, freeze):
    """Head alone (on cached embeddings) or everything: the saved head is a cosine classifier, pipeline() loads it."""
    torch.set_num_threads(1)
    work, data = cries
    source = make_tiny_ast(work / f"source-{freeze}", max_length=1024, num_mel_bins=16, labels=list(NAMES[:3]))
    out = work / f"cosine-{freeze}"
    args = ["--output-dir", str(out), "--model", str(source), "--freeze", freeze, "--num-train-epochs", "3",
            "--learning-rate", "1e-2", "--cosine-head-scale", "10", "--dataset", str(data),
            "--cache-dir", str(work / "cache"), "--dataset-cache-dir", str(work / "hf"), *FAST]
    assert main(args) == 0
    model = ASTForAudioClassification.from_pretrained(out)
    assert is_cosine(model.classifier)  # equal rows (a folded temperature may rescale them all alike)
    assert json.loads((out / "train_summary.json").read_text())["cosine_head_scale"] == 10.0
    if freeze == "backbone":  # the transformer blocks did not move (position embeddings are cut to the clips)
        base = ASTForAudioClassification.from_pretrained(source)
        for (name, a), b in zip(model.audio_spectrogram_transformer.layers.state_dict().items(),
                                base.audio_spectrogram_transformer.layers.state_dict().values(), strict=True):
            assert torch.equal(a, b), name

    from transformers import pipeline

    result = pipeline("audio-classification", model=str(out))(np.zeros(16000, np.float32), top_k=3)
    assert {r["label"] for r in result} == set(NAMES[:3])


def test_a_bad_scale_is_refused(cries, capsys):
    work, data = cries
    assert main(["--output-dir", str(work / "bad"), "--init", "scratch", "--preset", "tiny", "--dataset", str(data),
                 "--cosine-head-scale", "-1", *FAST]) == 2
    assert "--cosine-head-scale -1.0: expected a positive logit scale" in capsys.readouterr().err
