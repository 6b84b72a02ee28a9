"""PlaceInRecording: the cry lands whole inside a clip with silence around it, or is cut with a fade."""

import numpy as np
import pytest
from synthetic import fake_cry, tone
from transform_helpers import fixed, sane

from dataset_builder.augment import PlaceInRecording
from frontend.audio import CLIP_SECONDS
from frontend.audio import SAMPLE_RATE as SR


def test_puts_the_cry_inside_a_clip_with_room_before_and_after():
    cry = fake_cry(1, 1.0)
    place = fixed(PlaceInRecording(), offset_fraction=0.5)
    out = sane(place.apply(cry, SR), int(CLIP_SECONDS * SR))
    start = int(round(place.parameters["start_s"] * SR))
    assert np.array_equal(out[start : start + len(cry)], cry)
    assert start >= 0.25 * SR and len(out) - start - len(cry) >= 0.25 * SR
    assert not out[:start].any() and not out[start + len(cry) :].any()


@pytest.mark.parametrize("fraction, expected_start_s", [(0.0, 0.25), (1.0, CLIP_SECONDS - 0.25 - 1.0)])
def test_offset_fraction_spans_the_margins(fraction, expected_start_s):
    place = fixed(PlaceInRecording(), offset_fraction=fraction)
    place.apply(tone(440.0, 1.0), SR)
    assert place.parameters["start_s"] == pytest.approx(expected_start_s, abs=1e-4)


def test_cuts_a_cry_longer_than_the_clip_with_a_fade():
    place = fixed(PlaceInRecording(clip_seconds=1.0, min_margin_seconds=0.1))
    out = sane(place.apply(tone(440.0, 2.0), SR), SR)
    assert place.parameters["cry_s"] == pytest.approx(0.8)
    assert abs(out[int(0.9 * SR) - 1]) < 0.05


@pytest.mark.parametrize("kwargs, match", [({"clip_seconds": 0.1}, "clip_seconds"), ({"min_margin_seconds": 2.0}, "margin")])
def test_bad_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=f"PlaceInRecording.*{match}"):
        PlaceInRecording(**kwargs)


def test_lead_in_puts_the_cry_that_late_and_cuts_what_passes_the_end():
    cry = fake_cry(1, 1.0)
    place = fixed(PlaceInRecording(max_lead_in_s=2.0), lead_in_s=1.7)
    out = sane(place.apply(cry, SR), int(CLIP_SECONDS * SR))
    start = int(round(1.7 * SR))
    assert place.parameters["start_s"] == pytest.approx(1.7) and not out[:start].any()
    assert np.array_equal(out[start : start + len(cry)], cry)
    long_cry = tone(440.0, 3.0)
    out = place.apply(long_cry, SR)  # 1.7 + 3 > 4 s: the recording stops during the cry, with a fade
    assert place.parameters["cry_s"] == pytest.approx(CLIP_SECONDS - 1.7, abs=1e-3)
    assert abs(out[-1]) < 0.01 and np.array_equal(out[start : start + SR], long_cry[:SR])


@pytest.mark.parametrize("edge", ["start", "end"])
def test_edge_cut_starts_or_stops_the_recording_inside_the_cry(edge):
    cry = fake_cry(2, 1.0)
    place = fixed(PlaceInRecording(max_lead_in_s=2.0, edge_cut_probability=1.0), edge=edge, cut_fraction=0.3)
    place.parameters.pop("lead_in_s", None)
    out = sane(place.apply(cry, SR), int(CLIP_SECONDS * SR))
    kept = len(cry) - int(round(0.3 * len(cry)))
    if edge == "start":  # the recording begins mid-cry: its last 70 % at sample 0
        assert np.array_equal(out[:kept], cry[-kept:]) and not out[kept:].any()
    else:  # the recording ends mid-cry: its first 70 % ending at the last sample
        assert np.array_equal(out[-kept:], cry[:kept]) and not out[:-kept].any()


def test_lead_in_and_edge_draws_cover_their_ranges():
    place, rng = PlaceInRecording(max_lead_in_s=2.0, edge_cut_probability=0.2), np.random.default_rng(0)
    leads, edges = [], []
    for _ in range(400):
        place.randomize_parameters(rng)
        if "edge" in place.parameters:
            edges.append(place.parameters["edge"])
            assert 0.05 <= place.parameters["cut_fraction"] <= 0.5
        else:
            leads.append(place.parameters["lead_in_s"])
    assert 0.25 <= min(leads) < 0.35 and 1.9 < max(leads) <= 2.0
    assert 0.12 < len(edges) / 400 < 0.28 and set(edges) == {"start", "end"}
    with pytest.raises(ValueError, match="PlaceInRecording.*max_lead_in_s"):
        PlaceInRecording(clip_seconds=2.0, max_lead_in_s=2.0)
