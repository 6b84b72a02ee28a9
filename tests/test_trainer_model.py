"""Fitting a checkpoint to short cries keeps every pretrained weight; presets, freezing and reloading."""

from __future__ import annotations

import pytest
import torch

from tests.trainer_fixtures import make_tiny_ast
from trainer.features import fit_max_length
from trainer.model import (
    POSITION_KEY,
    ModelError,
    adapt_position_embeddings,
    apply_freeze,
    build_scratch,
    check_model_path,
    check_resume_labels,
    load_pretrained,
    patch_grid,
    reload_weights,
)
from trainer.presets import PRESETS

LABELS = ["Bulbasaur", "Charmander", "Squirtle"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny AST built for 1024 frames (a 2 × 101 patch grid), random non-zero position embeddings."""
    return make_tiny_ast(tmp_path_factory.mktemp("ckpt") / "ast1024", max_length=1024, num_mel_bins=32)


def test_cut_to_a_4_s_clip_keeps_the_centre_of_the_time_grid_and_every_other_weight(checkpoint):
    from transformers import ASTForAudioClassification

    source = ASTForAudioClassification.from_pretrained(checkpoint)
    length = fit_max_length(398, patch_size=16, time_stride=10)  # a 4 s clip → 406 frames
    model = load_pretrained(str(checkpoint), LABELS, length)
    (f, t), (nf, nt) = patch_grid(source.config), patch_grid(model.config)
    assert (f, t, nf, nt) == (2, 101, 2, 40)
    old, new = source.state_dict(), model.state_dict()
    grid = old[POSITION_KEY][0, 2:].reshape(f, t, -1)
    start = 101 // 2 - 40 // 2  # the original AST's `50 - int(t_dim / 2)`
    assert torch.equal(new[POSITION_KEY][0, 2:].reshape(nf, nt, -1), grid[:, start : start + nt])
    assert torch.equal(new[POSITION_KEY][0, :2], old[POSITION_KEY][0, :2])
    kept = [k for k in new if k != POSITION_KEY and not k.startswith("classifier.dense")]
    assert len(kept) > 30 and all(torch.equal(new[k], old[k]) for k in kept)
    assert model.config.max_length == length and model.config.id2label == dict(enumerate(LABELS))
    assert model(torch.zeros(1, length, 32)).logits.shape == (1, 3)


def test_fewer_mel_bins_cut_the_frequency_grid_from_the_middle(checkpoint):
    from transformers import ASTForAudioClassification

    source = ASTForAudioClassification.from_pretrained(checkpoint, max_length=1024)
    model = load_pretrained(str(checkpoint), LABELS, 1024, num_mel_bins=16)  # 2 → 1 frequency patch
    grid = source.state_dict()[POSITION_KEY][0, 2:].reshape(2, 101, -1)
    assert patch_grid(model.config) == (1, 101)
    assert torch.equal(model.state_dict()[POSITION_KEY][0, 2:].reshape(1, 101, -1), grid[1:2])


def test_a_longer_grid_is_interpolated_like_the_original():
    pos = torch.randn(1, 2 + 3 * 4, 8)
    out = adapt_position_embeddings(pos, (3, 4), (3, 6))
    expected = torch.nn.functional.interpolate(
        pos[:, 2:].reshape(1, 3, 4, 8).permute(0, 3, 1, 2), size=(3, 6), mode="bilinear"
    )
    assert torch.allclose(out[:, 2:].reshape(1, 3, 6, 8).permute(0, 3, 1, 2), expected)


def test_same_labels_keep_the_checkpoint_head(tmp_path):
    folder = make_tiny_ast(tmp_path / "labelled", max_length=128, num_mel_bins=16, labels=LABELS)
    from transformers import ASTForAudioClassification

    source = ASTForAudioClassification.from_pretrained(folder)
    model = load_pretrained(str(folder), LABELS, 128)
    assert torch.equal(model.classifier.dense.weight, source.classifier.dense.weight)


def test_new_labels_keep_the_rows_the_checkpoint_knows(tmp_path):
    """A class added to a trained model (no_cry, a new generation) starts beside the trained rows, not from zero."""
    folder = make_tiny_ast(tmp_path / "labelled", max_length=128, num_mel_bins=16, labels=LABELS)
    from transformers import ASTForAudioClassification

    source = ASTForAudioClassification.from_pretrained(folder)
    torch.manual_seed(3)
    new_labels = ["Squirtle", "no_cry", "Bulbasaur", "Pikachu"]
    model = load_pretrained(str(folder), new_labels, 128)
    old_w, old_b = source.classifier.dense.weight, source.classifier.dense.bias
    new_w, new_b = model.classifier.dense.weight, model.classifier.dense.bias
    assert new_w.shape == (4, old_w.shape[1])
    for j, i in ((0, 2), (2, 0)):  # Squirtle, Bulbasaur: their trained rows, moved to their new places
        assert torch.equal(new_w[j], old_w[i]) and torch.equal(new_b[j], old_b[i])
    for j in (1, 3):  # never trained: a fresh layer's rows, unlike any trained one
        assert not any(torch.equal(new_w[j], old_w[i]) for i in range(3))
        assert float(new_w[j].detach().abs().sum()) > 0
    assert model.config.id2label[1] == "no_cry"


def test_presets_build_the_sizes_the_embedded_model_needs():
    small = build_scratch("small", LABELS, fit_max_length(398, 16, PRESETS["small"]["time_stride"]))
    cfg = small.config
    assert (cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads, cfg.num_mel_bins) == (192, 4, 3, 64)
    assert cfg.max_length == 400 and patch_grid(cfg) == (4, 25)
    assert small.audio_spectrogram_transformer.embeddings.position_embeddings.std() > 0.01  # not left at zero
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        build_scratch("huge", LABELS, 400)


def test_freeze_options_choose_what_trains(checkpoint):
    model = load_pretrained(str(checkpoint), LABELS, 406)
    head = sum(p.numel() for p in model.classifier.parameters())
    assert apply_freeze(model, "backbone")["trainable"] == head
    one_block = apply_freeze(model, "backbone", unfreeze_last=1)["trainable"]
    block = sum(p.numel() for p in model.audio_spectrogram_transformer.layers[-1].parameters())
    norm = sum(p.numel() for p in model.audio_spectrogram_transformer.layernorm.parameters())
    assert one_block == head + block + norm
    assert not any(p.requires_grad for p in model.audio_spectrogram_transformer.layers[0].parameters())
    assert apply_freeze(model, "none")["trainable"] == sum(p.numel() for p in model.parameters())
    with pytest.raises(ModelError, match="only 2 transformer blocks"):
        apply_freeze(model, "backbone", unfreeze_last=5)


def test_reload_weights_restores_every_block_of_a_saved_checkpoint(checkpoint, tmp_path):
    model = load_pretrained(str(checkpoint), LABELS, 406)
    model.save_pretrained(tmp_path / "ckpt")
    fresh = build_scratch("tiny", LABELS, 406)
    other = load_pretrained(str(checkpoint), LABELS, 406)
    torch.nn.init.zeros_(other.audio_spectrogram_transformer.layers[0].mlp.fc1.weight)
    reload_weights(other, str(tmp_path / "ckpt"))
    assert all(torch.equal(a, b) for a, b in zip(other.state_dict().values(), model.state_dict().values(), strict=True))
    with pytest.raises(RuntimeError):
        reload_weights(fresh, str(tmp_path / "ckpt"))  # a different architecture cannot load silently


def test_missing_model_path_and_mismatched_resume_labels_fail_clearly(tmp_path, checkpoint):
    with pytest.raises(ModelError, match="no such folder"):
        check_model_path(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="no config.json"):
        check_model_path(str(tmp_path / "empty"))
    ckpt = make_tiny_ast(tmp_path / "checkpoint-3", max_length=128, num_mel_bins=16, labels=["Mew", "Mewtwo"])
    with pytest.raises(ModelError, match="was trained on 2 labels, the dataset has 3"):
        check_resume_labels(str(ckpt), LABELS)
    check_resume_labels(str(make_tiny_ast(tmp_path / "checkpoint-4", 128, 16, labels=LABELS)), LABELS)


@pytest.mark.slow
def test_the_real_audioset_checkpoint_is_cut_to_the_centre_of_its_12_by_101_grid():
    """Needs MIT/ast-finetuned-audioset-10-10-0.4593 in the local Hub cache (skipped otherwise)."""
    from transformers import ASTForAudioClassification

    from trainer.args import DEFAULT_CHECKPOINT

    try:
        source = ASTForAudioClassification.from_pretrained(DEFAULT_CHECKPOINT)
    except OSError:
        pytest.skip(f"{DEFAULT_CHECKPOINT} is not in the local Hub cache")
    model = load_pretrained(DEFAULT_CHECKPOINT, LABELS, 406)
    assert patch_grid(source.config) == (12, 101) and patch_grid(model.config) == (12, 40)
    old, new = source.state_dict(), model.state_dict()
    grid = old[POSITION_KEY][0, 2:].reshape(12, 101, -1)
    assert torch.equal(new[POSITION_KEY][0, 2:].reshape(12, 40, -1), grid[:, 30:70])
    assert all(torch.equal(new[k], old[k]) for k in new if k != POSITION_KEY and not k.startswith("classifier.dense"))
