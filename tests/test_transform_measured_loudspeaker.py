"""MeasuredLoudspeaker: a measured response's colouration in a share of captures, the bank checked, every file drawn."""

import numpy as np
import pytest
from scipy import signal as sps
from transform_helpers import fixed, sane

from dataset_builder.augment import MeasuredLoudspeaker
from dataset_builder.measured_speakers import ResponseBank
from frontend.audio import SAMPLE_RATE as SR


def _bank():
    """A 1 kHz low-pass and a 2 kHz high-pass response (256 taps each), as if measured."""
    low = sps.firwin(255, 1000, fs=SR).astype(np.float32)
    high = sps.firwin(255, 2000, fs=SR, pass_zero=False).astype(np.float32)
    return ResponseBank(("small/low.wav", "small/high.wav"), (low, high))


def band_db(x, low_hz, high_hz):
    """Mean power (dB) of ``x`` between two frequencies (Welch)."""
    f, p = sps.welch(x, SR, nperseg=1024)
    return 10 * np.log10(np.mean(p[(f >= low_hz) & (f <= high_hz)]))


def _noise(seconds=1.0):
    return (np.random.default_rng(0).standard_normal(int(seconds * SR)) * 0.1).astype(np.float32)


def test_an_applied_response_colours_the_sound_as_measured():
    x = _noise()
    low = sane(fixed(MeasuredLoudspeaker(_bank(), 1.0), applied=True, index=0).apply(x, SR), len(x))
    high = sane(fixed(MeasuredLoudspeaker(_bank(), 1.0), applied=True, index=1).apply(x, SR), len(x))
    assert band_db(low, 3000, 6000) - band_db(low, 200, 800) < -30  # the low-pass response cut the top
    assert band_db(high, 200, 800) - band_db(high, 3000, 6000) < -30
    assert np.allclose(low, np.convolve(x, _bank().responses[0])[: len(x)], atol=1e-5)


def test_not_applied_it_passes_the_sound_through():
    x = _noise()
    assert np.array_equal(fixed(MeasuredLoudspeaker(_bank(), 0.5), applied=False).apply(x, SR), x)


def test_the_probability_sets_the_share_and_every_response_is_drawn():
    speaker = MeasuredLoudspeaker(_bank(), 0.3)
    rng = np.random.default_rng(1)
    applied, files = 0, set()
    for _ in range(400):
        speaker.randomize_parameters(rng)
        applied += speaker.parameters["applied"]
        files.add(speaker.recipe()["file"])
    assert 0.22 < applied / 400 < 0.38 and files == {"small/low.wav", "small/high.wav"}
    never = MeasuredLoudspeaker(_bank(), 0.0)
    never.randomize_parameters(rng)
    assert never.parameters["applied"] is False


@pytest.mark.parametrize("probability", [-0.1, 1.5])
def test_a_probability_outside_0_1_is_refused(probability):
    with pytest.raises(ValueError, match="MeasuredLoudspeaker: probability"):
        MeasuredLoudspeaker(_bank(), probability)


def test_an_empty_bank_or_another_rate_is_refused():
    with pytest.raises(ValueError, match="bank is empty"):
        MeasuredLoudspeaker(ResponseBank((), ()))
    with pytest.raises(ValueError, match="16000 Hz, got 8000"):
        fixed(MeasuredLoudspeaker(_bank()), applied=True).apply(_noise(), 8000)
    with pytest.raises(RuntimeError, match="randomize_parameters"):
        MeasuredLoudspeaker(_bank()).apply(_noise(), SR)
