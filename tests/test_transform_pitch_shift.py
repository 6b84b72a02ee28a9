"""PitchShift: moves a tone by the drawn number of semitones, keeps the duration, checks its range."""

import numpy as np
import pytest
from spectral import cents, peak_frequency
from synthetic import tone

from dataset_builder.augment import PitchShift
from frontend.audio import SAMPLE_RATE


@pytest.mark.parametrize("semitones", [-1.0, -0.37, 0.5, 1.0])
def test_shifts_a_440_hz_tone_by_the_stated_semitones(semitones):
    shift = PitchShift(semitones, semitones)
    shift.randomize_parameters(np.random.default_rng(0))
    assert shift.parameters == {"semitones": semitones}
    out = shift.apply(tone(440.0, 1.0), SAMPLE_RATE)
    assert abs(cents(peak_frequency(out), 440.0 * 2 ** (semitones / 12))) < 3.0
    assert len(out) == SAMPLE_RATE  # duration unchanged
    assert out.dtype == np.float32 and np.all(np.isfinite(out))


def test_default_range_is_one_semitone_and_draws_cover_it():
    shift = PitchShift()
    assert (shift.min_semitones, shift.max_semitones) == (-1.0, 1.0)
    rng = np.random.default_rng(3)
    drawn = []
    for _ in range(200):
        shift.randomize_parameters(rng)
        drawn.append(shift.parameters["semitones"])
    assert -1.0 <= min(drawn) < -0.8 and 0.8 < max(drawn) <= 1.0


def test_same_parameters_give_byte_identical_output():
    x = tone(300.0, 0.5)
    a, b = PitchShift(0.7, 0.7), PitchShift(0.7, 0.7)
    a.randomize_parameters(np.random.default_rng(1))
    b.randomize_parameters(np.random.default_rng(2))
    assert a.apply(x).tobytes() == b.apply(x).tobytes()


@pytest.mark.parametrize("low, high", [(1.0, -1.0), (-13.0, 0.0), (0.0, float("nan"))])
def test_bad_ranges_raise_with_the_parameter_name(low, high):
    with pytest.raises(ValueError, match="semitones"):
        PitchShift(low, high)


def test_apply_before_randomize_says_what_to_do():
    with pytest.raises(RuntimeError, match="randomize_parameters"):
        PitchShift().apply(tone(440.0, 0.2))
