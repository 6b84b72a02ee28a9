"""``python -m trainer.evaluate`` through the app's recogniser, on a tiny trained model (no ../shared needed).

The held-out set reads reference cries laid out like PokeAPI's (``cries/pokemon/<rendition>/<id>.ogg``)
and maps Pokédex ids to labels through the model's ``pokedex.json``; the in-distribution set is a builder
split. Both must give exactly what :meth:`Recognizer.predict` answers on the same audio.
"""

import csv
import json

import numpy as np
import pytest

from recognizer.predict import Recognizer
from tests.synthetic import write_audio
from tests.tiny_model import SPECIES, species_cry, trained_tiny_model
from tests.trainer_fixtures import make_cry_dataset
from trainer.evaluate import EvaluateArguments, main

pytest.importorskip("pedalboard")


@pytest.fixture(scope="module")
def model():
    return trained_tiny_model()


@pytest.fixture(scope="module")
def cries(tmp_path_factory):
    root = tmp_path_factory.mktemp("cries")
    for rendition, seed in (("latest", 0), ("legacy", 1)):
        for name, info in SPECIES.items():
            write_audio(root / "cries" / "pokemon" / rendition / f"{info.pokedex_id}.ogg",
                        species_cry(name, 1.2, seed=seed))
    return root


def test_heldout_and_in_distribution_side_by_side(model, cries, tmp_path):
    dataset = make_cry_dataset(tmp_path / "ds", layout="disk", n_classes=3, sizes={"test": 2})
    out = tmp_path / "report"
    main(["--model", str(model), "--dataset", str(dataset), "--heldout-sim", "--cries-dir", str(cries),
          "--ids", "1-9", "--snr-db", "20", "--output-dir", str(out), "--threads", "1"])
    report = json.loads((out / "recordings.json").read_text())
    held = report["sets"]["held-out simulator"]
    # 3 species the model knows (ids 1, 4, 7; 2, 3, 5, 6, 8, 9 have no file) × 2 renditions × (20 dB + clean lead-in)
    assert held["overall"]["n"] == 12
    assert held["groups"]["condition"]["capture"]["n"] == 6
    assert set(held["groups"]["condition×rendition"]) == {
        "capture / latest", "capture / legacy", "clean cry after a lead-in / latest", "clean cry after a lead-in / legacy"
    }
    assert set(held["groups"]) >= {"codec", "background", "room", "agc", "capture_snr_band", "snr_target"}
    # per generation, from the model's pokedex.json (held-out) and the dataset's column (in-distribution)
    assert {g: v["n"] for g, v in held["groups"]["generation"].items()} == {"1": 12}
    assert set(held["groups"]["generation×snr_target"]) == {"1 / 20 dB"}
    assert held["groups"]["generation×condition×rendition"]["1 / clean cry after a lead-in / legacy"]["n"] == 3
    assert report["sets"]["in-distribution"]["groups"]["generation"]["1"]["n"] == 6
    # The trained tiny model names its clean synthetic calls wherever they sit and however loud they are.
    assert held["groups"]["condition"]["clean cry after a lead-in"]["top1"] >= 5 / 6
    assert report["sets"]["in-distribution"]["overall"]["n"] == 6
    text = (out / "recordings.md").read_text()
    assert "in-distribution: n" in text and "held-out simulator: n" in text


def test_real_parts_are_a_third_set_with_the_same_plan(model, cries, tmp_path):
    import soundfile as sf

    speaker = np.zeros(32, np.float32)
    speaker[:3] = (1.0, -0.5, 0.25)
    hall = (np.exp(-np.arange(4000) / 800.0) * np.random.default_rng(0).standard_normal(4000)).astype(np.float32)
    music = (0.2 * np.random.default_rng(1).standard_normal(32000)).astype(np.float32)
    for path, samples in (("parts/loudspeakers/phone/a.wav", speaker), ("parts/rooms/hall.wav", hall),
                          ("music/track.wav", music)):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / path, samples, 16000, subtype="FLOAT")
    out = tmp_path / "report"
    main(["--model", str(model), "--heldout-sim", "--cries-dir", str(cries), "--ids", "1-9", "--snr-db", "20",
          "--real-parts", str(tmp_path / "parts"), "--real-parts-music", str(tmp_path / "music"),
          "--output-dir", str(out), "--threads", "1"])
    report = json.loads((out / "recordings.json").read_text())
    held, real = report["sets"]["held-out simulator"], report["sets"]["real parts"]
    assert real["overall"]["n"] == held["overall"]["n"] == 12
    assert real["groups"]["loudspeaker"]["phone"]["n"] == 6 and "low_cut" not in real["groups"]
    assert {k: v["n"] for k, v in real["groups"]["background"].items()} == {"game music": 6}
    assert report["plans"]["real parts"]["real_parts"] == str(tmp_path / "parts")
    with open(out / "recordings_real_parts.csv", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == 12
    assert "real parts: n" in (out / "recordings.md").read_text()
    alone = tmp_path / "alone"  # the real-parts set alone: the same recordings, the same answers
    main(["--model", str(model), "--cries-dir", str(cries), "--ids", "1-9", "--snr-db", "20",
          "--real-parts", str(tmp_path / "parts"), "--real-parts-music", str(tmp_path / "music"),
          "--output-dir", str(alone), "--threads", "1"])
    assert list(json.loads((alone / "recordings.json").read_text())["sets"]) == ["real parts"]
    assert (alone / "recordings_real_parts.csv").read_text() == (out / "recordings_real_parts.csv").read_text()


def test_alternate_forms_with_a_cry_of_their_own_count_for_their_species(model, cries, tmp_path):
    import shutil

    forms_dir = tmp_path / "cries"
    shutil.copytree(cries, forms_dir)
    latest = forms_dir / "cries" / "pokemon" / "latest"
    first, second = sorted(SPECIES.values(), key=lambda i: i.pokedex_id)[:2]
    write_audio(latest / "10001.ogg", species_cry(next(iter(SPECIES)), 0.9, seed=7))  # a cry of its own
    shutil.copy(latest / f"{first.pokedex_id}.ogg", latest / "10002.ogg")  # the species' own cry again
    shutil.copy(latest / "10001.ogg", latest / "10004.ogg")  # another form's cry again: counted once
    rows = [(i.pokedex_id, i.pokedex_id, 1) for i in SPECIES.values()]
    rows += [(10001, first.pokedex_id, 0), (10002, first.pokedex_id, 0), (10003, second.pokedex_id, 0),  # 10003: no file
             (10004, first.pokedex_id, 0)]
    pokemon_csv = tmp_path / "pokemon.csv"
    pokemon_csv.write_text("id,identifier,species_id,height,weight,base_experience,order,is_default\n"
                           + "".join(f"{a},p{a},{b},1,1,1,{a},{d}\n" for a, b, d in rows))
    base = ["--model", str(model), "--heldout-sim", "--cries-dir", str(forms_dir), "--ids", "1-9", "--snr-db", "20",
            "--threads", "1"]
    main([*base, "--output-dir", str(tmp_path / "plain")])
    main([*base, "--forms-csv", str(pokemon_csv), "--output-dir", str(tmp_path / "forms")])
    held = json.loads((tmp_path / "forms" / "recordings.json").read_text())["sets"]["held-out simulator"]
    assert held["overall"]["n"] == 12 + 2  # one form (20 dB + the clean lead-in) on top of the 12
    assert {k: v["n"] for k, v in held["groups"]["form"].items()} == {"alternate form": 2, "species' own cry": 12}

    def rows_of(folder, own_only=False):
        with open(tmp_path / folder / "recordings_heldout.csv", encoding="utf-8") as f:
            return [(r["label"], r["guesses"], r["confidence"]) for r in csv.DictReader(f)
                    if not own_only or r["form"] == "species' own cry"]

    assert rows_of("forms", own_only=True) == rows_of("plain")  # the species' own cries keep their captures
    with open(tmp_path / "forms" / "recordings_heldout.csv", encoding="utf-8") as f:
        assert {r["label"] for r in csv.DictReader(f) if r["form"] == "alternate form"} == {next(iter(SPECIES))}


def test_rows_are_what_the_recogniser_answers(model, tmp_path):
    from datasets import load_from_disk

    dataset = make_cry_dataset(tmp_path / "ds", layout="disk", n_classes=3, sizes={"test": 2})
    out = tmp_path / "report"
    main(["--model", str(model), "--dataset", str(dataset), "--through-recognizer", "--output-dir", str(out),
          "--threads", "1"])
    with open(out / "recordings_in_distribution.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    recognizer = Recognizer.from_pretrained(str(model), threads=1)
    test = load_from_disk(str(dataset))["test"]
    names = test.features["label"].names
    for row, example in zip(rows, test, strict=True):
        audio = example["audio"]
        pred = recognizer.predict(np.asarray(audio["array"]), audio["sampling_rate"])
        assert row["label"] == names[example["label"]]
        assert row["guesses"] == " > ".join(g.label for g in pred.guesses)
        assert row["answered"] == str(not pred.not_sure)
    summary = json.loads((out / "recordings.json").read_text())["sets"]["in-distribution"]
    top1 = np.mean([r["guesses"].split(" > ")[0] == r["label"] for r in rows])
    assert summary["overall"]["top1"] == pytest.approx(top1)
    assert set(summary["groups"]) >= {"rendition", "condition", "snr_band", "capture_snr_band"}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "--dataset is required"),
        ({"heldout_sim": True}, "--cries-dir"),
        ({"heldout_sim": True, "cries_dir": "x", "snr_db": "20,loud"}, "--snr-db"),
        ({"heldout_sim": True, "cries_dir": "x", "through_recognizer": True}, "--dataset is required"),
        ({"dataset": "d", "real_parts": "parts"}, "--real-parts and .* need --cries-dir"),
    ],
)
def test_arguments_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EvaluateArguments(model="m", **kwargs)
