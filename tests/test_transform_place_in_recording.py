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
