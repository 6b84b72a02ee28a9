"""trainer.evaluation.heldout_set: each recording from its own generator; the cry where cry_start_seconds says."""

from pathlib import Path

import numpy as np
import pytest

from heldout.cries import ReferenceCry
from heldout.parts import SAMPLE_RATE
from heldout.simulator import HeldoutSimulator
from tests.heldout_signals import sine
from trainer.evaluation.heldout_set import HeldoutPlan, cry_start_seconds, simulate

TONE_HZ = 1_000.0


def tone_level_db(samples: np.ndarray, start_s: float, end_s: float) -> float:
    """dB. The 1 kHz tone's power between two instants (a 25 Hz wide band: broadband noise barely reaches it)."""
    seg = np.asarray(samples[max(0, int(start_s * SAMPLE_RATE)) : int(end_s * SAMPLE_RATE)], dtype=np.float64)
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg)))) ** 2
    freqs = np.fft.rfftfreq(len(seg), 1 / SAMPLE_RATE)
    return float(10 * np.log10(spectrum[np.abs(freqs - TONE_HZ) < 12.5].sum() + 1e-20))


@pytest.fixture(scope="module")
def plan():
    return HeldoutPlan(cries_dir="unused", ids=[1, 2, 3], snr_db=(20.0,), seed=5)


@pytest.mark.parametrize("k", [0, 1], ids=["capture at 20 dB", "clean lead-in"])
def test_the_cry_starts_where_cry_start_seconds_says(plan, k):
    simulator, checked = HeldoutSimulator(), 0
    for cry_id in range(1, 40):  # the first three recordings whose drawn lead-in leaves room to look before the cry
        cry = ReferenceCry(cry_id, "latest", Path(f"{cry_id}.ogg"))
        audio, params = simulate(plan, cry, k, sine(TONE_HZ, 0.6, 0.5), simulator)
        start = cry_start_seconds(params)
        if start < 0.35:
            continue
        before = tone_level_db(audio, start - 0.3, start - 0.05)
        after = tone_level_db(audio, start + 0.05, start + 0.3)
        assert after - before > 15, (cry_id, start, before, after)
        checked += 1
        if checked == 3:
            return
    pytest.fail(f"only {checked} of cry ids 1-39 drew a lead-in of 0.35 s or more")


def test_each_recording_draws_from_its_own_generator(plan):
    sim, samples = HeldoutSimulator(), sine(TONE_HZ, 0.4)
    a = ReferenceCry(1, "latest", Path("1.ogg"))
    first, params = simulate(plan, a, 0, samples, sim)
    simulate(plan, ReferenceCry(2, "latest", Path("2.ogg")), 0, samples, sim)  # another recording in between
    again, params_again = simulate(plan, a, 0, samples, sim)
    np.testing.assert_array_equal(first, again)
    assert params == params_again
    other_rendition, _ = simulate(plan, ReferenceCry(1, "legacy", Path("1.ogg")), 0, samples, sim)
    assert len(other_rendition) != len(first) or not np.array_equal(other_rendition, first)
