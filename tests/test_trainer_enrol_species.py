"""``python -m trainer.enrol_species``: every species a model was not trained on enrolled from its reference cries."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest

from tests.fake_sources import SPECIES as FAKE_SPECIES
from tests.fake_sources import FakeSpecies, pokeapi_csvs
from tests.synthetic import fake_cry, write_audio
from tests.tiny_model import LABELS, SPECIES, species_cry, tiny_model_with_row_maps, trained_tiny_model
from trainer.enrol_species import EnrolSpeciesArguments, RowCache, enrol_species, main

SQUIRTLE = FakeSpecies(7, "squirtle", 1, {"en": "Squirtle", "fr": "Carapuce", "ja-hrkt": "ゼニガメ", "de": "Schiggy",
                                          "es": "Squirtle"}, [11])
NEW_CRIES = {  # file → fake_cry class: sounds the tiny model never trained on, and that its embedding tells apart
    "latest/152.ogg": 7, "legacy/152.ogg": 9, "latest/700.ogg": 11, "latest/25.ogg": 5, "latest/10100.ogg": 13,
}


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """A local PokeAPI mirror (CSV export and cries) for the tiny model's species and three new ones: Chikorita (two
    renditions), Pikachu (its own cry and an alternate form's, 10100) and Sylveon (latest only)."""
    root = tmp_path_factory.mktemp("pokeapi")
    csv_dir = root / "pokeapi" / "data" / "v2" / "csv"
    csv_dir.mkdir(parents=True)
    for name, body in pokeapi_csvs([*FAKE_SPECIES, SQUIRTLE]).items():
        (csv_dir / name).write_bytes(body)
    cries = root / "cries" / "cries" / "pokemon"
    for label in LABELS:
        write_audio(cries / "latest" / f"{SPECIES[label].pokedex_id}.ogg", species_cry(label, 1.0, seed=3))
    for name, cls in NEW_CRIES.items():
        write_audio(cries / name, fake_cry(cls, 1.0, seed=cls))
    return root


def arguments(mirror, output, **kw) -> EnrolSpeciesArguments:
    return EnrolSpeciesArguments(model=kw.pop("model", str(trained_tiny_model())), cries_dir=str(mirror / "cries"),
                                 output=str(output), ids=kw.pop("ids", "1,4,7,25,152,700"),
                                 pokeapi_url=(mirror / "pokeapi").as_uri(), captures_per_cry=kw.pop("captures_per_cry", 0),
                                 **kw)


def head(folder) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from safetensors.numpy import load_file

    tensors = load_file(str(folder / "model.safetensors"))
    config = json.loads((folder / "config.json").read_text())
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    return tensors["classifier.dense.weight"], tensors["classifier.dense.bias"], labels


@pytest.fixture(scope="module")
def enrolled(mirror, tmp_path_factory):
    out = tmp_path_factory.mktemp("enrolled") / "model"
    summary = enrol_species(arguments(mirror, out, forms=True))
    return out, summary


def test_every_new_species_gets_a_row_per_cry_named_in_english_and_the_trained_rows_stay(enrolled):
    from transformers import pipeline

    out, summary = enrolled
    weights, biases, labels = head(out)
    trained_weights, trained_biases, trained_labels = head(trained_tiny_model())
    assert labels[: len(trained_labels)] == trained_labels
    assert np.array_equal(weights[: len(trained_labels)], trained_weights)
    assert np.array_equal(biases[: len(trained_labels)], trained_biases)
    # a row per cry: Chikorita's two renditions, Pikachu's own cry and its form's, Sylveon's one
    assert labels[len(trained_labels):] == ["Pikachu", "Pikachu", "Chikorita", "Chikorita", "Sylveon"]
    assert summary["enrolled"] == 3 and summary["labels"] == len(trained_labels) + 3 and summary["head_rows"] == len(labels)
    classifier = pipeline("audio-classification", model=str(out))
    assert classifier.model.config.num_labels == len(labels)
    assert not (out.parent / ".model.rows").exists()  # the cache goes once the folder is written
    card = " ".join((out / "README.md").read_text(encoding="utf-8").split())  # the tiny model has no card of its own
    assert card.startswith("## Species enrolled, not trained")
    assert "names 6 species: the 3 its backbone and head were trained on, and 3 more" in card
    assert "(5 in all: the renditions `latest,legacy`, and each alternate form's own cry)" in card
    assert "a row per cry, placed by the folder's captures map" in card and "(8 head rows in all)" in card


def test_the_pokedex_describes_every_new_species_in_the_folder_s_languages(enrolled):
    out, _ = enrolled
    pokedex = json.loads((out / "pokedex.json").read_text(encoding="utf-8"))
    assert pokedex["languages"] == ["en", "fr", "ja", "de", "es"]
    chikorita = pokedex["species"]["Chikorita"]
    assert chikorita["pokedex_id"] == 152 and chikorita["generation"] == 2 and chikorita["types"] == ["grass"]
    assert chikorita["names"] == {"en": "Chikorita", "fr": "Germignon", "ja": "チコリータ", "de": "Endivie", "es": "Chikorita"}
    assert chikorita["sprite_url"].endswith("/152.png")
    assert pokedex["species"]["Sylveon"]["generation"] == 6
    assert pokedex["species"]["Bulbasaur"] == SPECIES["Bulbasaur"].to_dict()  # the trained entries as they were


def test_the_recogniser_names_new_takes_of_each_new_cry_once(enrolled):
    from recognizer.predict import Recognizer

    out, _ = enrolled
    recognizer = Recognizer.from_pretrained(str(out))
    # (Chikorita's legacy call, class 9, is one the tiny model's embedding does not hold across takes)
    expected = {7: "Chikorita", 11: "Sylveon", 5: "Pikachu", 13: "Pikachu"}
    for cls, name in expected.items():
        take = np.concatenate([np.zeros(2500, np.float32), 0.4 * fake_cry(cls, 1.0, seed=cls + 100)])
        names = [g.label for g in recognizer.predict(take).guesses]
        assert names[0] == name and len(set(names)) == len(names), (cls, names)


def test_each_new_label_gets_its_threshold_against_the_finished_head(mirror, tmp_path):
    from recognizer.label_thresholds import (
        NEGATIVES_FILE,
        fit_label_thresholds,
        load_negatives,
        save_negatives,
    )
    from recognizer.loading import load_model
    from recognizer.model_files import load_calibration, save_calibration
    from trainer.enrol_negatives import cry_like_windows

    folder = tmp_path / "with-negatives"
    shutil.copytree(trained_tiny_model(), folder)
    save_calibration(folder, dataclasses.replace(load_calibration(folder), threshold=0.97))
    takes = [species_cry(label, 1.0, seed=s) for label in LABELS for s in range(3)]
    takes += [fake_cry(11, 1.0, seed=s) for s in range(40, 46)]  # takes like Sylveon's cry
    save_negatives(folder, cry_like_windows(load_model(str(folder)), takes))
    out = tmp_path / "out"
    enrol_species(arguments(mirror, out, model=str(folder), max_false_answers=0.05))
    calibration = load_calibration(out)
    assert set(calibration.label_thresholds) == {"Chikorita", "Pikachu", "Sylveon"}
    weights, biases, labels = head(out)
    expected = fit_label_thresholds(load_negatives(folder), weights, biases, labels, ["Chikorita", "Pikachu", "Sylveon"],
                                    calibration.temperature, calibration.threshold, 0.05)
    assert calibration.label_thresholds == pytest.approx(expected)
    # each label is answered for some of these negatives, so each threshold rises above the floor, to its own height
    assert min(calibration.label_thresholds.values()) > 0.5 and len(set(calibration.label_thresholds.values())) == 3
    assert (out / NEGATIVES_FILE).is_file()


def test_a_cut_run_resumes_from_its_cached_rows_and_two_workers_make_the_same_rows(mirror, tmp_path, monkeypatch):
    import trainer.enrol_species as module

    fresh = tmp_path / "fresh"
    enrol_species(arguments(mirror, fresh))
    # a run that stopped after Chikorita: its rows are in the cache, made by a run that never finished
    out = tmp_path / "resumed"
    cache = RowCache(out.with_name(".resumed.rows"))
    weights, biases, labels = head(fresh)
    rows = [i for i, name in enumerate(labels) if name == "Chikorita"]
    cache.put(152, weights[rows], biases[rows])
    made = []
    real = module.species_rows
    monkeypatch.setattr(module, "species_rows", lambda bundle, maps, cries, *a: made.append(len(cries)) or real(
        bundle, maps, cries, *a))
    enrol_species(arguments(mirror, out))
    assert made == [1, 1]  # Pikachu and Sylveon only (no --forms: one cry each)
    assert all(np.array_equal(a, b) for a, b in zip(head(out), head(fresh), strict=True))
    monkeypatch.undo()
    shifted = tmp_path / "shifted"
    enrol_species(arguments(mirror, shifted, bias_shift=-1.5))
    assert np.array_equal(head(shifted)[0], weights)
    assert np.allclose(head(shifted)[1][rows], biases[rows] - 1.5) and np.array_equal(head(shifted)[1][:3], biases[:3])
    assert "every enrolled bias -1.5 logits" in " ".join((shifted / "README.md").read_text(encoding="utf-8").split())
    two = tmp_path / "two-workers"
    enrol_species(arguments(mirror, two, workers=2, threads=1))
    assert all(np.array_equal(a, b) for a, b in zip(head(two), head(fresh), strict=True))


def test_captures_move_the_rows_and_the_same_seed_draws_the_same_captures(mirror, tmp_path, small_capture_chain):
    folder = tiny_model_with_row_maps(tmp_path / "mapped", np.random.default_rng(5), 0.2)
    runs = [enrol_species(arguments(mirror, tmp_path / f"c{k}", model=str(folder), ids="152", captures_per_cry=2))
            for k in range(2)]
    enrol_species(arguments(mirror, tmp_path / "refs", model=str(folder), ids="152"))
    first, second, references = (head(tmp_path / name)[0][-2:] for name in ("c0", "c1", "refs"))
    assert runs[0]["enrolled"] == 1 and np.array_equal(first, second)
    assert not np.allclose(first, references, atol=1e-4)


def test_bad_arguments_are_refused_naming_the_flag(mirror, tmp_path, capsys):
    base = ["--model", str(trained_tiny_model()), "--cries_dir", str(mirror / "cries"),
            "--pokeapi_url", (mirror / "pokeapi").as_uri(), "--captures_per_cry", "0"]
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "x").write_text("x")
    assert main([*base, "--output", str(taken)]) == 2
    assert "--output" in capsys.readouterr().err
    assert main([*base, "--output", str(tmp_path / "a"), "--rows", "window"]) == 2
    assert "--rows 'window': expected one of cry, species" in capsys.readouterr().err
    assert main([*base, "--output", str(tmp_path / "b"), "--ids", "1,4,7,9000"]) == 2
    assert "not in" in capsys.readouterr().err
    assert main([*base, "--output", str(tmp_path / "c"), "--captures_per_cry", "3"]) == 2
    assert "enrol_map_captures.safetensors" in capsys.readouterr().err
    assert main([*base, "--output", str(tmp_path / "d"), "--pokeapi_url", (tmp_path / "nowhere").as_uri()]) == 2
    assert "pokemon_species.csv" in capsys.readouterr().err
    assert main([*base, "--output", str(tmp_path / "e"), "--rows", "fitted", "--l2", "-1"]) == 2
    assert "--l2 -1.0: expected a penalty >= 0" in capsys.readouterr().err
    assert main([*base, "--output", str(tmp_path / "f"), "--rows", "fitted", "--trained_weight", "0"]) == 2
    assert "--trained_weight 0.0: expected a weight > 0" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "d").exists()


def test_one_row_per_species_puts_a_species_cries_in_one_row(mirror, tmp_path):
    enrol_species(arguments(mirror, tmp_path / "one", rows="species", forms=True))
    labels = head(tmp_path / "one")[2]
    assert labels[-3:] == ["Pikachu", "Chikorita", "Sylveon"] and labels.count("Pikachu") == 1


def test_fitted_rows_give_each_new_species_one_row_the_recogniser_and_pipeline_name(mirror, tmp_path):
    from transformers import pipeline

    from recognizer.predict import Recognizer

    out = tmp_path / "fitted"
    # Chikorita (two renditions) and Sylveon: Pikachu's cry (class 5) is Bulbasaur's to the tiny model's embedding
    summary = enrol_species(arguments(mirror, out, ids="1,4,7,152,700", rows="fitted", l2=1e-4, trained_weight=1.0))
    weights, biases, labels = head(out)
    trained_weights, trained_biases, trained_labels = head(trained_tiny_model())
    assert labels == [*trained_labels, "Chikorita", "Sylveon"] and summary["head_rows"] == len(labels)
    assert np.array_equal(weights[:3], trained_weights) and np.array_equal(biases[:3], trained_biases)
    assert not (tmp_path / ".fitted.embeddings").exists()  # the cache goes once the folder is written
    assert "one row per species, fitted" in " ".join((out / "README.md").read_text(encoding="utf-8").split())

    recognizer = Recognizer.from_pretrained(str(out))
    classifier = pipeline("audio-classification", model=str(out))
    # (not Chikorita's legacy call, class 9: the tiny model's embedding does not hold it across takes)
    takes = [(fake_cry(7, 1.0, seed=107), "Chikorita"), (fake_cry(11, 1.0, seed=111), "Sylveon")] + [(species_cry(label, 1.0, seed=40), label) for label in LABELS]
    for k, (cry, name) in enumerate(takes):
        take = np.concatenate([np.zeros(2500, np.float32), 0.4 * cry])
        assert recognizer.predict(take).guesses[0].label == name, (k, [(g.label, round(g.probability, 3)) for g in recognizer.predict(take).guesses])
        top = [r["label"] for r in classifier(take, top_k=len(labels))]
        assert len(top) == len(set(top)) == 5  # pipeline() lists every species once


def test_fitted_rows_embed_each_cry_and_its_captures_the_same_way_twice(mirror, small_capture_chain):
    from dataset_builder.captures import CaptureMaker
    from recognizer.loading import load_model
    from trainer.fitted_rows import species_embeddings

    bundle = load_model(str(trained_tiny_model()))
    cries = [fake_cry(7, 1.0, seed=7), fake_cry(9, 1.0, seed=9)]
    first, again = (species_embeddings(bundle, cries, CaptureMaker(0), 3, 152) for _ in range(2))
    located = first.window == 0
    assert sorted(zip(first.cry[located], first.capture[located], strict=True)) == [(k, c) for k in (0, 1) for c in (-1, 0, 1, 2)]
    assert np.array_equal(first.embeddings, again.embeddings)
    other = species_embeddings(bundle, cries, CaptureMaker(1), 3, 152)
    assert not np.allclose(other.embeddings[other.capture >= 0][:1], first.embeddings[first.capture >= 0][:1])


def test_fitted_rows_get_no_thresholds_of_their_own(mirror, tmp_path):
    from recognizer.label_thresholds import save_negatives
    from recognizer.loading import load_model
    from recognizer.model_files import load_calibration
    from trainer.enrol_negatives import cry_like_windows

    folder = tmp_path / "with-negatives"
    shutil.copytree(trained_tiny_model(), folder)
    save_negatives(folder, cry_like_windows(load_model(str(folder)), [fake_cry(11, 1.0, seed=s) for s in range(40, 44)]))
    enrol_species(arguments(mirror, tmp_path / "cry", model=str(folder), ids="700", max_false_answers=0.05))
    enrol_species(arguments(mirror, tmp_path / "fitted", model=str(folder), ids="700", rows="fitted"))
    assert set(load_calibration(tmp_path / "cry").label_thresholds) == {"Sylveon"}
    assert load_calibration(tmp_path / "fitted").label_thresholds == {}  # the model's threshold judges fitted rows
