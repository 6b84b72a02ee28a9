"""Whole-recording scores: top-1/top-5, answered share and precision of answers, per group and side by side."""

import numpy as np

from recognizer.predict import Guess, Prediction
from trainer.evaluation.recordings import (
    Recording,
    markdown_recordings,
    score_recordings,
    snr_groups,
    summarise,
    summarise_groups,
)


class FakeRecognizer:
    """Answers from a script: (labels best first, not_sure) per call."""

    def __init__(self, answers):
        self.answers = iter(answers)

    def predict(self, samples, sample_rate, top_k=5):
        labels, not_sure = next(self.answers)
        guesses = [Guess(label, 0.9 - 0.1 * i) for i, label in enumerate(labels)]
        return Prediction(guesses, not_sure, "low_confidence" if not_sure else "", 0.5)


def recording(label, **groups):
    return Recording(np.zeros(16_000, dtype=np.float32), 16_000, label, groups)


def test_scores_count_top1_top5_answered_and_precision():
    answers = [
        (["A", "B"], False),  # right, answered
        (["B", "A"], False),  # wrong, answered, in the top 5
        (["C", "B"], True),  # wrong, not sure, not in the top 5
        (["A"], True),  # right but not sure
    ]
    recs = [recording("A", rendition="latest"), recording("A", rendition="latest"), recording("A", rendition="legacy"),
            recording("A", rendition="legacy")]
    rows = score_recordings(FakeRecognizer(answers), recs)
    assert [r["answered"] for r in rows] == [True, True, False, False]
    s = summarise(rows)
    assert s == {"n": 4, "top1": 0.5, "top5": 0.75, "answered": 0.5, "precision": 0.5}
    groups = summarise_groups(rows, ["rendition", "codec"])["groups"]
    assert "codec" not in groups
    assert groups["rendition"]["latest"]["precision"] == 0.5 and groups["rendition"]["legacy"]["precision"] is None
    assert groups["rendition"]["legacy"]["top1"] == 0.5 and groups["rendition"]["legacy"]["answered"] == 0.0


def test_crossed_groups_and_capture_bands():
    rows = [
        {"label": "A", "guesses": ["A"], "answered": True, "condition": "capture", "rendition": "latest"},
        {"label": "A", "guesses": ["B"], "answered": True, "condition": "capture", "rendition": "legacy"},
        {"label": "A", "guesses": ["A"], "answered": True, "condition": "clean", "rendition": "legacy"},
    ]
    groups = summarise_groups(rows, ["condition×rendition"])["groups"]["condition×rendition"]
    assert list(groups) == ["capture / latest", "capture / legacy", "clean / legacy"]
    assert groups["capture / legacy"]["top1"] == 0.0
    assert snr_groups(12.0, True) == {"snr_band": "5–15 dB", "capture_snr_band": "5–15 dB", "capture_snr": "≥ 10 dB"}
    assert snr_groups(None, False) == {"snr_band": "no background"}


def test_markdown_puts_the_sets_side_by_side():
    rows_a = [{"label": "A", "guesses": ["A"], "answered": True, "rendition": "latest"}]
    rows_b = [{"label": "A", "guesses": ["B", "A"], "answered": False, "rendition": "legacy"}]
    text = markdown_recordings({"own": summarise_groups(rows_a, ["rendition"]),
                                "held-out": summarise_groups(rows_b, ["rendition"])})
    assert "| group | own: n | top-1 |" in text and "held-out: n" in text
    assert "| all | 1 | 100.0% | 100.0% | 100.0% | 100.0% | 1 | 0.0% | 100.0% | 0.0% | – |" in text
    assert "| rendition = legacy | 0 | – | – | – | – | 1 | 0.0% |" in text


def test_no_recordings():
    assert score_recordings(FakeRecognizer([]), []) == []
    assert summarise([]) == {"n": 0, "top1": None, "top5": None, "answered": None, "precision": None}


def test_a_builds_no_cry_rows_are_not_scored_as_cries():
    """The app never names no_cry, so those rows are left out of naming accuracy (a model without the class too)."""
    from tests.trainer_fixtures import NAMES, make_dataset_dict
    from trainer.evaluation.recordings import dataset_recordings

    ds = make_dataset_dict(n_classes=3, sizes={"test": 6}, seconds=0.5)["test"]
    names = [*NAMES[:2], "no_cry"]  # read the third class as a build's no_cry class
    recordings = list(dataset_recordings(ds, names, model_labels=list(NAMES[:2])))
    labels = [names[i] for i in ds["label"]]
    assert "no_cry" in labels and len(recordings) == labels.count(NAMES[0]) + labels.count(NAMES[1])
    assert {r.label for r in recordings} <= set(NAMES[:2])


def test_the_builders_codec_is_read_from_the_recipe():
    """A codec hold-out is tested on the builder's own captures: each capture row is grouped by its codec."""
    import json

    from tests.trainer_fixtures import NAMES, make_dataset_dict
    from trainer.evaluation.recordings import dataset_recordings, recipe_codec

    def recipe(*steps):
        return json.dumps({"condition": "capture", "transforms": [{"name": "gain", "gain_db": -3.0}, *steps]})

    assert recipe_codec(recipe({"name": "codec", "codec": "gsm", "bitrate_kbps": 13})) == "gsm"
    assert recipe_codec(recipe({"name": "codec", "codec": "none"})) == "none"
    assert recipe_codec(recipe({"name": "codec", "codec": "aac", "bitrate_kbps": 32, "second_codec": "g711",
                                "second_bitrate_kbps": 64})) == "double"
    assert recipe_codec(recipe()) is None and recipe_codec(None) is None and recipe_codec("") is None

    ds = make_dataset_dict(n_classes=2, sizes={"test": 4}, seconds=0.5)["test"]
    codecs = (["gsm", "opus", None, "g711"] * len(ds))[: len(ds)]
    steps = [() if c is None else ({"name": "codec", "codec": c},) for c in codecs]
    ds = ds.remove_columns("recipe").add_column("recipe", [recipe(*s) for s in steps])
    recordings = list(dataset_recordings(ds, list(NAMES[:2]), model_labels=list(NAMES[:2])))
    assert [r.groups.get("codec") for r in recordings] == codecs
