"""trainer.prototype_head: head rows tied to the classes' clean-reference prototypes while the backbone trains."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import ASTConfig, ASTForAudioClassification

from tests.trainer_fixtures import NAMES, make_cry_dataset, make_tiny_ast
from trainer.cli import main
from trainer.cosine_head import is_cosine, make_cosine, row_length
from trainer.prototype_head import PrototypeHeadCallback

FAST = ["--disable-tqdm", "true", "--seed", "0", "--per-device-train-batch-size", "8", "--save-total-limit", "1"]


class _Collate:
    def __call__(self, items):
        return {"input_values": torch.stack([it["fbank"] for it in items]),
                "labels": torch.tensor([it["labels"] for it in items])}


def _model_and_references():
    torch.manual_seed(0)
    config = ASTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, num_mel_bins=16,
                       max_length=100, num_labels=4)
    model = ASTForAudioClassification(config)
    make_cosine(model.classifier, 10.0)
    # classes 0-2 have references (two of class 1), class 3 (like no_cry) has none
    references = [{"fbank": torch.randn(100, 16), "labels": label} for label in (0, 1, 1, 2)]
    return model, references


def _embedding(model, fbanks):
    with torch.no_grad():
        return model.classifier.layernorm(model.audio_spectrogram_transformer(torch.stack(fbanks)).pooler_output)


def test_rows_become_the_prototypes_and_an_unreferenced_class_keeps_its_row():
    model, references = _model_and_references()
    model.train()
    kept = model.classifier.dense.weight[3].detach().clone()
    callback = PrototypeHeadCallback(model, references, _Collate(), 10.0, every=5, batch_size=3)
    callback.refresh()
    assert model.training  # the refresh runs in eval mode and puts the mode back
    weight = model.classifier.dense.weight.detach()
    model.eval()
    prototypes = [_embedding(model, [references[0]["fbank"]])[0],
                  _embedding(model, [references[1]["fbank"], references[2]["fbank"]]).mean(0),
                  _embedding(model, [references[3]["fbank"]])[0]]
    for row, prototype in enumerate(prototypes):
        assert torch.allclose(weight[row] / weight[row].norm(), prototype / prototype.norm(), atol=1e-5), row
    assert torch.allclose(weight[:3].norm(dim=1), torch.full((3,), row_length(model.classifier, 10.0)), atol=1e-5)
    assert torch.equal(weight[3], kept)
    assert is_cosine(model.classifier, 10.0)


def test_the_optimiser_never_moves_a_prototype_row_but_trains_the_others():
    model, references = _model_and_references()
    callback = PrototypeHeadCallback(model, references, _Collate(), 10.0, every=5)
    callback.on_train_begin(None, None, None)
    x = torch.randn(6, 100, 16)
    loss = torch.nn.functional.cross_entropy(model(input_values=x).logits, torch.tensor([0, 1, 2, 3, 3, 1]))
    loss.backward()
    grad = model.classifier.dense.weight.grad
    assert torch.count_nonzero(grad[:3]) == 0 and torch.count_nonzero(grad[3]) > 0
    assert any(p.grad is not None and torch.count_nonzero(p.grad) > 0
               for p in model.audio_spectrogram_transformer.parameters())


def test_refreshes_come_every_n_steps():
    model, references = _model_and_references()
    callback = PrototypeHeadCallback(model, references, _Collate(), 10.0, every=3)
    calls = []
    callback.refresh = lambda: calls.append(state.global_step)

    class state:
        global_step = 0

    for step in range(1, 8):
        state.global_step = step
        callback.on_step_end(None, state, None)
    assert calls == [3, 6]


@pytest.fixture(scope="module")
def cries(tmp_path_factory):
    work = tmp_path_factory.mktemp("prototype")
    return work, make_cry_dataset(work / "cries", n_classes=3, sizes={"train": 9, "validation": 3, "test": 3}, seconds=1.0)


def test_the_trainer_ends_with_the_final_backbones_prototypes_as_rows(cries):
    """Refreshed after the last step: the saved rows point at the trained backbone's clean-clip prototypes."""
    from recognizer.loading import load_model

    torch.set_num_threads(1)
    work, data = cries
    source = make_tiny_ast(work / "source", max_length=1024, num_mel_bins=16, labels=list(NAMES[:3]))
    out = work / "out"
    args = ["--output-dir", str(out), "--model", str(source), "--freeze", "none", "--num-train-epochs", "2",
            "--learning-rate", "1e-3", "--cosine-head-scale", "10", "--prototype-head-every", "1",
            "--dataset", str(data), "--cache-dir", str(work / "cache"), "--dataset-cache-dir", str(work / "hf"), *FAST]
    assert main(args) == 0
    assert json.loads((out / "train_summary.json").read_text())["prototype_head_every"] == 1
    bundle = load_model(str(out))
    from recognizer.enrol import prototype_direction, window_embeddings
    from trainer.data import load_cry_dataset

    train = load_cry_dataset(str(data))["train"]
    weight = bundle.model.classifier.dense.weight.detach().numpy()
    for label in range(3):
        clean = [r["audio"]["array"] for r in train if r["label"] == label and r["condition"] == "clean"]
        direction = prototype_direction(bundle, window_embeddings(bundle, clean))
        cos = float(direction @ weight[label] / (weight[label] ** 2).sum() ** 0.5)
        assert cos > 0.99, (label, cos)


def test_bad_combinations_are_refused(cries, capsys):
    work, data = cries
    base = ["--output-dir", str(work / "bad"), "--dataset", str(data), *FAST]
    assert main([*base, "--init", "scratch", "--preset", "tiny", "--prototype-head-every", "5"]) == 2
    assert "needs --cosine-head-scale" in capsys.readouterr().err
    assert main([*base, "--init", "scratch", "--preset", "tiny", "--cosine-head-scale", "10",
                 "--prototype-head-every", "0"]) == 2
    assert "--prototype-head-every 0: expected a positive number of steps" in capsys.readouterr().err
