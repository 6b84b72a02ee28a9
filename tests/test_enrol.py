"""Enrolment adds a sound from reference recordings without retraining, and keeps every earlier answer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from frontend.audio import SAMPLE_RATE
from recognizer.enrol import EnrolError, enrol, main
from tests.synthetic import fake_cry, write_audio
from tests.tiny_model import LABELS, species_cry, tiny_model_with_row_maps, trained_tiny_model

NEW_CLASS = 5
"""A fake_cry class the tiny model never trained on (a falling 523 Hz call; the trained ones rise)."""


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("enrol")
    reference = write_audio(folder / "ref.wav", np.concatenate([np.zeros(4000, np.float32), fake_cry(NEW_CLASS, 1.2, seed=11)]))
    out = folder / "model"
    [row], _ = enrol(str(trained_tiny_model()), [str(reference)], "Newmon", str(out))
    return out, row


def test_the_folder_loads_in_pipeline_with_the_new_label(enrolled):
    from transformers import pipeline

    out, row = enrolled
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"][str(len(LABELS))] == "Newmon" and len(config["id2label"]) == len(LABELS) + 1
    assert row.reference_margin == pytest.approx(2.0, abs=1e-3)
    clf = pipeline("audio-classification", model=str(out), device="cpu")
    answers = clf({"raw": fake_cry(NEW_CLASS, 1.0, seed=99), "sampling_rate": SAMPLE_RATE}, top_k=2)
    assert answers[0]["label"] == "Newmon"
    pokedex = json.loads((out / "pokedex.json").read_text())
    assert pokedex["species"]["Newmon"]["names"]["en"] == "Newmon"


def test_new_takes_of_the_enrolled_sound_are_named_and_the_old_head_is_untouched(enrolled):
    from recognizer.loading import load_model
    from recognizer.predict import Recognizer

    out, _ = enrolled
    after = Recognizer.from_pretrained(str(out))
    rng = np.random.default_rng(5)
    for seed in range(4):  # other takes: other length, noise, level, a lead-in
        take = fake_cry(NEW_CLASS, float(rng.uniform(0.8, 1.6)), seed=100 + seed) * float(rng.uniform(0.05, 0.8))
        take = np.concatenate([np.zeros(int(rng.uniform(0, 1) * SAMPLE_RATE), np.float32), take])
        take = take + 1e-3 * rng.standard_normal(len(take)).astype(np.float32)
        assert after.predict(take).top.label == "Newmon", seed
    # every existing row (and the backbone) is kept bit for bit: old logits are unchanged, only the new row is added
    old, new = load_model(str(trained_tiny_model())).model.state_dict(), after.bundle.model.state_dict()
    for key, value in old.items():
        if "classifier.dense" in key:
            assert new[key].shape[0] == value.shape[0] + 1 and bool((new[key][:-1] == value).all()), key
        else:
            assert bool((new[key] == value).all()), key


@pytest.mark.shared
def test_on_the_embedded_model_a_chiptune_is_enrolled_and_gen1_answers_stay(shared_pokeapi, tmp_path):
    """The tiny model's 3-class embedding cannot hold a 4th sound; the embedded 151-species model can."""
    from frontend.audio import decode_audio
    from recognizer.predict import Recognizer

    def chiptune(seconds: float = 1.0) -> np.ndarray:  # a square-wave arpeggio, nothing like a Gen-1 cry
        t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
        notes = np.array([660.0, 990.0, 880.0, 1320.0])[(np.floor(t * 8).astype(int) * 3) % 4]
        return (0.3 * np.sign(np.sin(2 * np.pi * notes * t))).astype(np.float32)

    reference = write_audio(tmp_path / "chip.wav", chiptune())
    enrol("models/default", [str(reference)], "Chipmon", str(tmp_path / "model"))
    before, after = Recognizer.from_pretrained("models/default"), Recognizer.from_pretrained(str(tmp_path / "model"))
    rng = np.random.default_rng(0)
    named = 0
    for _ in range(10):  # captures at 20 dB SNR, at any level
        x = chiptune(float(rng.uniform(0.7, 1.3))) * float(rng.uniform(0.05, 0.9))
        x = x + rng.standard_normal(len(x)).astype(np.float32) * np.sqrt(np.mean(x**2) / 100)
        named += after.predict(x).top.label == "Chipmon"
    assert named >= 9
    # the embedded folder stores enrolment negatives: the chiptune gets a threshold of its own, within the bounds
    from recognizer.model_files import load_calibration

    own = load_calibration(tmp_path / "model").label_thresholds["Chipmon"]
    assert 0.5 <= own <= load_calibration("models/default").threshold
    cries = shared_pokeapi / "cries" / "cries" / "pokemon"
    for rendition, pokemon_id in [(r, i) for r in ("latest", "legacy") for i in range(1, 152, 10)]:
        x = decode_audio(cries / rendition / f"{pokemon_id}.ogg")
        assert after.predict(x).top.label == before.predict(x).top.label, (rendition, pokemon_id)


def test_bad_input_is_refused_with_a_clear_message(tmp_path, capsys):
    model = str(trained_tiny_model())
    silent = write_audio(tmp_path / "silent.wav", np.zeros(SAMPLE_RATE, np.float32))
    with pytest.raises(EnrolError, match="already names it"):
        enrol(model, [str(silent)], LABELS[0], str(tmp_path / "a"))
    with pytest.raises(EnrolError, match="silent"):
        enrol(model, [str(silent)], "Quiet", str(tmp_path / "b"))
    sound = write_audio(tmp_path / "sound.wav", fake_cry(NEW_CLASS, 1.0, seed=3))
    with pytest.raises(EnrolError, match=f"--audio {silent}: .*silent"):  # one silent take among others is named
        enrol(model, [str(sound), str(silent)], "Quiet", str(tmp_path / "c"), row_per_recording=True)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    assert main(["--model", model, "--audio", str(silent), "--label", "X", "--output", str(tmp_path / "full")]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["--model", model, "--audio", str(tmp_path / "missing.wav"), "--label", "X", "--output", str(tmp_path / "c")]) == 2
    assert "missing.wav" in capsys.readouterr().err


def test_a_cosine_head_is_recognised_and_enrolled_by_the_margin_rule(tmp_path):
    """A head trained as a cosine classifier (trainer --cosine-head-scale) keeps its rows; the new row points at
    the references' prototype, at least the common length, biased so that they win by exactly the margin."""
    import shutil

    import torch
    from transformers import ASTForAudioClassification

    from recognizer.enrol import window_embeddings
    from recognizer.loading import load_model
    from recognizer.recording import read_recording
    from trainer.cosine_head import cosine_row_length, make_cosine

    folder = tmp_path / "cosine"
    shutil.copytree(trained_tiny_model(), folder)
    model = ASTForAudioClassification.from_pretrained(folder)
    assert cosine_row_length(model.classifier) is None  # an ordinary trained head
    make_cosine(model.classifier, 10.0)
    model.save_pretrained(folder)
    length = cosine_row_length(model.classifier)
    assert length == pytest.approx(10.0 / np.sqrt(model.config.hidden_size), rel=1e-5)

    reference = write_audio(tmp_path / "ref.wav", fake_cry(NEW_CLASS, 1.2, seed=11))
    [row], _ = enrol(str(folder), [str(reference)], "Newmon", str(tmp_path / "out"))
    after = ASTForAudioClassification.from_pretrained(tmp_path / "out")
    assert row.reference_margin == pytest.approx(2.0, abs=1e-3)
    assert np.linalg.norm(row.weight) >= length * (1 - 1e-5)
    embeddings = window_embeddings(load_model(str(folder)), [read_recording(str(reference))])
    direction = embeddings.mean(axis=0) / np.linalg.norm(embeddings.mean(axis=0))
    assert np.allclose(row.weight / np.linalg.norm(row.weight), direction, atol=1e-5)
    assert torch.equal(after.classifier.dense.weight[:-1], model.classifier.dense.weight)


def test_with_a_row_map_the_new_row_is_the_mapped_one_and_the_map_travels_with_the_folder(tmp_path):
    """A folder with ``enrol_map.safetensors``: the new row points where the map sends the references' prototype,
    at the trained rows' median length; the references still win by at least the margin; OUT keeps the map."""
    import shutil

    from recognizer.enrol import prototype_direction, window_embeddings
    from recognizer.loading import load_model
    from recognizer.recording import read_recording
    from recognizer.row_map import ROW_MAP_FILE, RowMap, load_row_map, save_row_map

    folder = tmp_path / "mapped"
    shutil.copytree(trained_tiny_model(), folder)
    bundle = load_model(str(folder))
    width = bundle.model.config.hidden_size
    rng = np.random.default_rng(3)
    matrix = np.eye(width + 1) + 0.3 * rng.standard_normal((width + 1, width + 1))
    matrix[-1, -1] = 1.0  # the intercept's bias: a mapped bias of about 1 logit
    save_row_map(folder, RowMap(matrix, 0.1, 12, 0.9))

    reference = write_audio(tmp_path / "ref.wav", fake_cry(NEW_CLASS, 1.2, seed=11))
    [row], _ = enrol(str(folder), [str(reference)], "Newmon", str(tmp_path / "out"))
    embeddings = window_embeddings(bundle, [read_recording(str(reference))])
    mapped, mapped_bias = load_row_map(folder).row(prototype_direction(bundle, embeddings))
    weights = bundle.model.classifier.dense.weight.detach().numpy()
    assert np.allclose(row.weight / np.linalg.norm(row.weight), mapped / np.linalg.norm(mapped), atol=1e-5)
    assert np.linalg.norm(row.weight) == pytest.approx(float(np.median(np.linalg.norm(weights, axis=1))), rel=1e-5)
    assert row.bias >= mapped_bias - 1e-5 and row.reference_margin >= 2.0 - 1e-3
    assert (tmp_path / "out" / ROW_MAP_FILE).read_bytes() == (folder / ROW_MAP_FILE).read_bytes()


def test_with_captures_the_captures_map_places_the_prototype_of_references_and_captures(tmp_path):
    """``--captures``: the prototype is the mean over the references' and the captures' windows, the row is the
    captures map's (at the median row length, its own bias); a folder without that map is refused; OUT keeps both."""
    import shutil

    from recognizer.enrol import prototype_direction, window_embeddings
    from recognizer.loading import load_model
    from recognizer.recording import read_recording
    from recognizer.row_map import CAPTURES_ROW_MAP_FILE, ROW_MAP_FILE, RowMap, save_row_map

    folder = tmp_path / "mapped"
    shutil.copytree(trained_tiny_model(), folder)
    bundle = load_model(str(folder))
    width = bundle.model.config.hidden_size
    reference = write_audio(tmp_path / "ref.wav", fake_cry(NEW_CLASS, 1.2, seed=11))
    noisy = fake_cry(NEW_CLASS, 1.2, seed=11) + 0.05 * np.random.default_rng(0).standard_normal(int(1.2 * SAMPLE_RATE))
    capture = write_audio(tmp_path / "capture.wav", noisy.astype(np.float32))
    with pytest.raises(EnrolError, match=f"no {CAPTURES_ROW_MAP_FILE}; expected a folder fitted with"):
        enrol(str(folder), [str(reference)], "Newmon", str(tmp_path / "refused"), captures=[str(capture)])

    rng = np.random.default_rng(5)
    clean_map, captures_map = (np.eye(width + 1) + 0.3 * rng.standard_normal((width + 1, width + 1)) for _ in range(2))
    captures_map[-1, -1] = -4.0  # a bias the references would not win with: the map's bias stands all the same
    save_row_map(folder, RowMap(clean_map, 0.1, 12, 0.9))
    save_row_map(folder, RowMap(captures_map, 0.1, 12, 0.9), CAPTURES_ROW_MAP_FILE)
    [row], _ = enrol(str(folder), [str(reference)], "Newmon", str(tmp_path / "out"), captures=[str(capture)])
    refs = window_embeddings(bundle, [read_recording(str(reference))])
    both = np.concatenate([refs, window_embeddings(bundle, [read_recording(str(capture))])])
    unit = prototype_direction(bundle, both)
    mapped = np.append(unit, 1.0) @ captures_map
    weights = bundle.model.classifier.dense.weight.detach().numpy()
    assert np.allclose(row.weight / np.linalg.norm(row.weight), mapped[:-1] / np.linalg.norm(mapped[:-1]), atol=1e-5)
    assert not np.allclose(unit, prototype_direction(bundle, refs), atol=1e-3)  # the captures moved the prototype
    assert np.linalg.norm(row.weight) == pytest.approx(float(np.median(np.linalg.norm(weights, axis=1))), rel=1e-5)
    assert row.bias == pytest.approx(mapped[-1], abs=1e-4) and row.reference_windows == len(refs)
    for name in (ROW_MAP_FILE, CAPTURES_ROW_MAP_FILE):
        assert (tmp_path / "out" / name).read_bytes() == (folder / name).read_bytes()
    assert main(["--model", str(folder), "--audio", str(reference), "--label", "Othermon", "--output",
                 str(tmp_path / "cli"), "--captures", str(capture), str(capture)]) == 0


def test_row_per_recording_gives_each_recording_its_row_and_the_recogniser_one_guess(tmp_path):
    """``--row-per-recording``: two unlike recordings (two renditions) get one row each, set by the same rule on
    their own windows, all named NAME; the recogniser adds the rows' probabilities, so NAME is one guess, and a
    take of either sound is named NAME."""
    from recognizer.enrol import prototype_direction, window_embeddings
    from recognizer.loading import load_model
    from recognizer.predict import Recognizer, calibrated_probabilities
    from recognizer.recording import read_recording
    from trainer.evaluation.window_logits import replay, window_scores

    model = str(trained_tiny_model())
    sounds = [fake_cry(NEW_CLASS, 1.2, seed=11), fake_cry(NEW_CLASS + 2, 0.9, seed=12)]
    refs = [str(write_audio(tmp_path / f"ref{k}.wav", s)) for k, s in enumerate(sounds)]
    rows, _ = enrol(model, refs, "Newmon", str(tmp_path / "out"), row_per_recording=True)
    [single], _ = enrol(model, refs, "Onemon", str(tmp_path / "single"))
    assert len(rows) == 2
    bundle = load_model(model)
    for row, ref in zip(rows, refs, strict=True):  # the margin rule on the recording's own windows
        direction = prototype_direction(bundle, window_embeddings(bundle, [read_recording(ref)]))
        assert np.allclose(row.weight / np.linalg.norm(row.weight), direction, atol=1e-5)
        assert row.reference_margin == pytest.approx(2.0, abs=1e-3)
    assert single.reference_windows == sum(r.reference_windows for r in rows)

    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert [config["id2label"][str(len(LABELS) + k)] for k in (0, 1)] == ["Newmon", "Newmon"]
    recognizer = Recognizer.from_pretrained(str(tmp_path / "out"))
    assert recognizer.head.labels == [*LABELS, "Newmon"]
    for k, sound in enumerate(sounds):
        take = np.concatenate([np.zeros(3000, np.float32), 0.3 * sound])
        prediction = recognizer.predict(take)
        names = [g.label for g in prediction.guesses]
        assert names[0] == "Newmon" and len(set(names)) == len(names), (k, names)
        probs = calibrated_probabilities(recognizer.window_logits(take).logits, recognizer.bundle.calibration.temperature)
        assert prediction.confidence == pytest.approx(float(probs[:, -2:].sum(axis=1).max()), abs=1e-5)
        replayed = replay(window_scores(recognizer, take, SAMPLE_RATE), recognizer.bundle.labels,
                          recognizer.bundle.calibration.temperature)  # the evaluation's replay merges the same way
        assert replayed.guesses == names and replayed.confidence == pytest.approx(prediction.confidence, abs=1e-6)


def test_row_per_recording_takes_the_captures_nearest_to_each_recording(tmp_path):
    """With captures, each recording's row is the captures map's row for its windows and the captures nearest to
    its prototype: the captures of one rendition do not pull the other's row."""
    from recognizer.enrol import enrolled_rows, enrolment_maps, prototype_direction, window_embeddings
    from recognizer.loading import load_model

    rng = np.random.default_rng(3)
    folder = tiny_model_with_row_maps(tmp_path / "mapped", rng, 0.1)
    bundle = load_model(str(folder))
    sounds = [fake_cry(NEW_CLASS, 1.2, seed=11), fake_cry(NEW_CLASS + 2, 0.9, seed=12)]
    refs = [window_embeddings(bundle, [s]) for s in sounds]
    noisy = [s + 0.02 * rng.standard_normal(len(s)).astype(np.float32) for s in sounds for _ in range(2)]
    caps = window_embeddings(bundle, noisy)  # two captures of each sound, in order
    rows = enrolled_rows(bundle, refs, caps, per_recording=True)
    per_sound = [caps[: len(caps) // 2], caps[len(caps) // 2:]]
    maps = enrolment_maps(bundle)
    for row, ref, own in zip(rows, refs, per_sound, strict=True):
        mapped, bias = maps[1].row(prototype_direction(bundle, np.concatenate([ref, own])))
        assert np.allclose(row.weight / np.linalg.norm(row.weight), mapped / np.linalg.norm(mapped), atol=1e-5)
        assert row.bias == pytest.approx(bias, abs=1e-5)


def test_capture_rows_split_the_captures_into_groups_each_with_a_row(tmp_path):
    """``--capture-rows K``: the captures' windows are split by k-means into no more groups than leave
    MIN_CAPTURE_WINDOWS_PER_ROW windows to each, and each group, with the references, gets the captures map's row; too few
    windows for two groups leave one row, the same as without the flag; asking for groups without captures is refused."""
    from recognizer.enrol import (
        MIN_CAPTURE_WINDOWS_PER_ROW,
        capture_groups,
        enrolled_rows,
        enrolment_maps,
        prototype_direction,
        window_embeddings,
    )
    from recognizer.loading import load_model

    rng = np.random.default_rng(4)
    blobs = np.concatenate([rng.normal(0, 0.1, (7, 8)) + 3.0, rng.normal(0, 0.1, (9, 8)) - 3.0]).astype(np.float32)
    groups = capture_groups(blobs[rng.permutation(16)], 4)  # 16 windows allow 2 groups of 6+, not 4
    assert sorted(len(g) for g in groups) == [7, 9] and all(len(np.unique(np.sign(g))) == 1 for g in groups)
    assert len(capture_groups(blobs[: 2 * MIN_CAPTURE_WINDOWS_PER_ROW - 1], 8)) == 1

    folder = tiny_model_with_row_maps(tmp_path / "mapped", rng, 0.1)
    bundle = load_model(str(folder))
    maps = enrolment_maps(bundle)
    sound = fake_cry(NEW_CLASS, 1.0, seed=11)
    refs = window_embeddings(bundle, [sound])
    takes = [sound + level * rng.standard_normal(len(sound)).astype(np.float32) for level in (0.01, 0.3) for _ in range(8)]
    caps = window_embeddings(bundle, takes)
    rows = enrolled_rows(bundle, [refs], caps, maps=maps, capture_rows=3)
    parts = capture_groups(caps, 3)
    assert len(rows) == len(parts) > 1 and sum(len(p) for p in parts) == len(caps)
    for row, part in zip(rows, parts, strict=True):
        mapped, bias = maps[1].row(prototype_direction(bundle, np.concatenate([refs, part])))
        assert np.allclose(row.weight / np.linalg.norm(row.weight), mapped / np.linalg.norm(mapped), atol=1e-5)
        assert row.bias == pytest.approx(bias, abs=1e-5)
    [one] = enrolled_rows(bundle, [refs], caps[:MIN_CAPTURE_WINDOWS_PER_ROW], maps=maps, capture_rows=3)
    [plain] = enrolled_rows(bundle, [refs], caps[:MIN_CAPTURE_WINDOWS_PER_ROW], maps=maps)
    assert np.array_equal(one.weight, plain.weight) and one.bias == plain.bias

    reference = write_audio(tmp_path / "ref.wav", sound)
    with pytest.raises(EnrolError, match="--capture-rows 2: expected 1, or more with --captures"):
        enrol(str(folder), [str(reference)], "Newmon", str(tmp_path / "refused"), capture_rows=2)
    paths = [str(write_audio(tmp_path / f"take{k}.wav", t)) for k, t in enumerate(takes)]
    assert main(["--model", str(folder), "--audio", str(reference), "--label", "Newmon", "--output", str(tmp_path / "cli"),
                 "--captures", *paths, "--capture-rows", "3"]) == 0
    config = json.loads((tmp_path / "cli" / "config.json").read_text())
    assert list(config["id2label"].values()).count("Newmon") == len(rows)


def _folder_with_negatives(tmp_path, takes: list[np.ndarray]):
    """A copy of the tiny model storing ``takes``' cry-like windows as its enrolment negatives."""
    import shutil

    from recognizer.label_thresholds import save_negatives
    from recognizer.loading import load_model
    from trainer.enrol_negatives import cry_like_windows

    folder = tmp_path / "with-negatives"
    shutil.copytree(trained_tiny_model(), folder)
    save_negatives(folder, cry_like_windows(load_model(str(folder)), takes))
    return folder


def test_with_stored_negatives_the_new_label_gets_its_own_threshold_set_against_them(tmp_path):
    """Negatives unlike the new sound (the trained species' calls) let its threshold down to the floor; takes of the
    new sound itself stored as negatives push it up to the model's; the recogniser judges the label on it."""
    from recognizer.label_thresholds import MIN_LABEL_THRESHOLD, NEGATIVES_FILE
    from recognizer.model_files import load_calibration
    from recognizer.predict import Recognizer

    reference = write_audio(tmp_path / "ref.wav", fake_cry(NEW_CLASS, 1.2, seed=11))
    model_threshold = load_calibration(trained_tiny_model()).threshold
    unlike = _folder_with_negatives(tmp_path / "a", [species_cry(label, 1.0, seed=s) for label in LABELS for s in range(3)])
    _, threshold = enrol(str(unlike), [str(reference)], "Newmon", str(tmp_path / "a" / "out"))
    calibration = load_calibration(tmp_path / "a" / "out")
    assert threshold == calibration.label_thresholds["Newmon"] == pytest.approx(min(MIN_LABEL_THRESHOLD, model_threshold))
    assert calibration.threshold == model_threshold
    assert (tmp_path / "a" / "out" / NEGATIVES_FILE).is_file()  # kept: a second sound can be enrolled the same way
    assert Recognizer.from_pretrained(str(tmp_path / "a" / "out")).predict(fake_cry(NEW_CLASS, 1.0, seed=99)).threshold == threshold

    like = _folder_with_negatives(tmp_path / "b", [fake_cry(NEW_CLASS, 1.0, seed=s) for s in range(40, 50)])
    _, threshold = enrol(str(like), [str(reference)], "Newmon", str(tmp_path / "b" / "out"))
    assert threshold == pytest.approx(model_threshold)
    # --model-threshold: no threshold of its own
    assert main(["--model", str(unlike), "--audio", str(reference), "--label", "Newmon", "--output",
                 str(tmp_path / "c"), "--model-threshold"]) == 0
    assert load_calibration(tmp_path / "c").label_thresholds == {}


def test_a_folder_s_cry_locator_cuts_the_reference_windows_and_travels_with_the_folder(tmp_path, monkeypatch):
    """The references are cut where the folder's locator puts the cry (as the app cuts recordings), and OUT keeps it."""
    import shutil

    import torch

    from frontend.locator import LOCATOR_FILE, CryLocator, build_network

    folder = tmp_path / "located"
    shutil.copytree(trained_tiny_model(), folder)
    torch.manual_seed(0)
    CryLocator(build_network(n_mels=64, channels=8, hidden=4), {"n_mels": 64, "channels": 8, "hidden": 4}).save(
        folder / LOCATOR_FILE)
    asked = []
    monkeypatch.setattr(CryLocator, "onset_seconds", lambda self, samples: asked.append(len(samples)) or 0.5)
    reference = np.concatenate([np.zeros(SAMPLE_RATE // 2, np.float32), fake_cry(NEW_CLASS, 1.2, seed=11)])
    enrol(str(folder), [str(write_audio(tmp_path / "ref.wav", reference))], "Newmon", str(tmp_path / "out"))
    assert asked, "the locator was not asked where the cry starts"
    assert (tmp_path / "out" / LOCATOR_FILE).read_bytes() == (folder / LOCATOR_FILE).read_bytes()
