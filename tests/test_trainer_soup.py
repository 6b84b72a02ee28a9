"""trainer.soup: the weighted mean of fine-tuned models, as an ordinary model folder; mismatches refused."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from tests.tiny_model import build_tiny_model
from trainer.soup import SoupArguments, SoupError, main, make_soup


@pytest.fixture()
def ingredients(tmp_path):
    return [build_tiny_model(tmp_path / name, seed=seed) for name, seed in (("a", 0), ("b", 1), ("c", 2))]


def _state(folder):
    return load_file(str(folder / "model.safetensors"))


def test_the_soup_is_the_weighted_mean_and_loads_in_pipeline(ingredients, tmp_path):
    a, b, c = ingredients
    out = make_soup(SoupArguments(models=[str(a), str(b), str(c)], output_dir=str(tmp_path / "soup"), weights="2,1,1"))
    soup, sa, sb, sc = _state(out), _state(a), _state(b), _state(c)
    for name, tensor in soup.items():
        expected = 0.5 * sa[name].double() + 0.25 * sb[name].double() + 0.25 * sc[name].double()
        np.testing.assert_allclose(tensor.double().numpy(), expected.numpy(), rtol=1e-6, atol=1e-7, err_msg=name)
    assert not torch.equal(soup["classifier.dense.weight"], sa["classifier.dense.weight"])
    assert not (out / "calibration.json").exists()  # the ingredients' folded temperatures differ: refit it
    assert json.loads((out / "soup.json").read_text())["weights"] == [0.5, 0.25, 0.25]
    assert (out / "pokedex.json").read_bytes() == (a / "pokedex.json").read_bytes()

    from transformers import pipeline

    classify = pipeline("audio-classification", model=str(out))
    result = classify(np.sin(np.linspace(0, 2000, 16000)).astype(np.float32), top_k=2)
    assert len(result) == 2 and {r["label"] for r in result} <= set(json.loads((out / "config.json").read_text())
                                                                    ["id2label"].values())


def test_equal_weights_by_default(ingredients, tmp_path):
    a, b, _ = ingredients
    out = make_soup(SoupArguments(models=[str(a), str(b)], output_dir=str(tmp_path / "soup")))
    name = "classifier.dense.bias"
    np.testing.assert_allclose(_state(out)[name].numpy(), ((_state(a)[name] + _state(b)[name]) / 2).numpy(), rtol=1e-6)


def test_mismatched_ingredients_are_refused(ingredients, tmp_path):
    a, b, _ = ingredients
    config = json.loads((b / "config.json").read_text())
    config["id2label"] = {k: f"{v}!" for k, v in config["id2label"].items()}
    (b / "config.json").write_text(json.dumps(config))
    with pytest.raises(SoupError, match="id2label"):
        make_soup(SoupArguments(models=[str(a), str(b)], output_dir=str(tmp_path / "soup")))

    other = build_tiny_model(tmp_path / "d", seed=3)
    state = _state(other)
    state["extra.weight"] = torch.zeros(2)
    save_file(state, str(other / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(SoupError, match="name or shape"):
        make_soup(SoupArguments(models=[str(a), str(other)], output_dir=str(tmp_path / "soup")))
    assert not (tmp_path / "soup").exists()


def test_clear_errors_from_the_command_line(ingredients, tmp_path, capsys):
    a, b, _ = ingredients
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep me")
    assert main(["--models", str(a), str(b), "--output-dir", str(tmp_path / "full")]) == 2
    assert "not an empty folder" in capsys.readouterr().err and (tmp_path / "full" / "x").exists()
    assert main(["--models", str(a), "--output-dir", str(tmp_path / "one")]) == 2
    assert "at least two" in capsys.readouterr().err
    assert main(["--models", str(a), str(b), "--weights", "1,-1", "--output-dir", str(tmp_path / "w")]) == 2
    assert "one positive number per model" in capsys.readouterr().err
    assert main(["--models", str(a), str(tmp_path / "missing"), "--output-dir", str(tmp_path / "m")]) == 2
    assert "missing: expected a model folder" in capsys.readouterr().err


def _logits(folder, samples):
    from transformers import ASTFeatureExtractor, ASTForAudioClassification

    from frontend.fbank import model_inputs

    model = ASTForAudioClassification.from_pretrained(folder).eval()
    inputs = model_inputs([samples], ASTFeatureExtractor.from_pretrained(folder))
    with torch.no_grad():
        return model(input_values=torch.from_numpy(inputs)).logits[0].numpy()


def test_an_ingredients_own_input_normalisation_is_folded_in_exactly(ingredients, tmp_path):
    """The same weights read under another mean/std (another run's data) make a soup that answers as they do."""
    import shutil

    a = ingredients[0]
    renormed = tmp_path / "renormed"
    shutil.copytree(a, renormed)
    extractor = json.loads((a / "preprocessor_config.json").read_text())
    (renormed / "preprocessor_config.json").write_text(json.dumps({**extractor, "mean": extractor["mean"] + 1.5,
                                                                   "std": extractor["std"] * 1.3}))
    samples = (0.3 * np.sin(np.linspace(0, 3000, 32000)) * np.linspace(0, 1, 32000)).astype(np.float32)
    own = _logits(renormed, samples)
    assert not np.allclose(own, _logits(a, samples), atol=1e-3)  # the normalisation matters to this model

    out = make_soup(SoupArguments(models=[str(a), str(renormed)], output_dir=str(tmp_path / "soup"), weights="1e-9,1"))
    np.testing.assert_allclose(_logits(out, samples), own, rtol=1e-4, atol=1e-4)
    bad = dict(extractor, num_mel_bins=extractor["num_mel_bins"] + 1)
    (renormed / "preprocessor_config.json").write_text(json.dumps(bad))
    with pytest.raises(SoupError, match="num_mel_bins"):
        make_soup(SoupArguments(models=[str(a), str(renormed)], output_dir=str(tmp_path / "soup2")))
