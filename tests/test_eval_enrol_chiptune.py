"""benchmarks/eval_enrol_chiptune.py: its synthetic chiptune cries are reproducible, distinct, audible and bounded."""

import numpy as np

from benchmarks.eval_enrol_chiptune import SAMPLE_RATE, chiptune


def test_chiptunes_are_reproducible_distinct_and_within_their_ranges():
    a = [chiptune(np.random.default_rng(0)) for _ in range(2)]
    assert np.array_equal(a[0], a[1])
    rng = np.random.default_rng(1)
    sounds = [chiptune(rng) for _ in range(5)]
    for x in sounds:
        assert x.dtype == np.float32 and 0.8 <= len(x) / SAMPLE_RATE <= 1.2
        assert 0.4 < float(np.max(np.abs(x))) <= 0.5 and np.all(np.isfinite(x))
        assert abs(float(x[0])) < 0.01 and abs(float(x[-1])) < 0.01  # faded in and out: no click
    spectra = [np.abs(np.fft.rfft(x[:12_800])) for x in sounds]
    peaks = {int(np.argmax(s)) for s in spectra}
    assert len(peaks) >= 4  # different notes, not one sound five times
