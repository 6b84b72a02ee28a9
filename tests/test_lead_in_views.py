"""benchmarks/lead_in_views.py: the onset-cropped view starts just before the cry, whatever the lead-in."""

import numpy as np
import pytest
from synthetic import tone

from benchmarks.lead_in_views import onset_crop
from frontend.audio import SAMPLE_RATE as SR


@pytest.mark.parametrize("lead_in_s", [0.0, 0.3, 1.2])
def test_the_crop_starts_at_the_onset_less_the_pad(lead_in_s):
    rng = np.random.default_rng(0)
    cry = tone(600.0, 0.5, amplitude=0.3)
    recording = np.concatenate([np.zeros(int(lead_in_s * SR), np.float32), cry])
    recording = recording + rng.normal(0.0, 0.3e-2 / 3, len(recording)).astype(np.float32)  # a floor 40 dB down
    cropped = onset_crop(recording, below_db=20.0, pad_s=0.02)
    removed_s = (len(recording) - len(cropped)) / SR
    assert removed_s == pytest.approx(max(0.0, lead_in_s - 0.02), abs=0.011)  # to the meter frame (10 ms)
    assert np.array_equal(cropped, recording[len(recording) - len(cropped):])
