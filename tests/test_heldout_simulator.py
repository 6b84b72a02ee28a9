"""The held-out simulator end to end: deterministic from one seed, the SNR it promises, the clean condition."""

import numpy as np
import pytest

from heldout.backgrounds import Background
from heldout.codecs import Codec
from heldout.cries import cry_folder, parse_ids, reference_cries
from heldout.dynamics import Agc
from heldout.room import Room
from heldout.simulator import HeldoutSimulator, families, mix_at_snr
from tests.heldout_signals import sine


def cry() -> np.ndarray:
    t = np.arange(12_000) / 16_000
    return (0.7 * np.sin(2 * np.pi * (500 + 400 * t) * t) * np.hanning(len(t))).astype(np.float32)


def test_one_seed_gives_one_capture():
    sim = HeldoutSimulator(background=Background(kinds=("pink", "chiptune")))
    a, pa = sim.capture(cry(), np.random.default_rng([0, 25, 1]), 10.0)
    b, pb = sim.capture(cry(), np.random.default_rng([0, 25, 1]), 10.0)
    c, _ = sim.capture(cry(), np.random.default_rng([0, 25, 2]), 10.0)
    assert pa == pb and np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.max(np.abs(a)) <= 1.0 and a.dtype == np.float32
    assert set(families(pa)) >= {"background", "room", "codec", "agc", "low_cut"}


def test_mix_at_snr_sets_the_cry_to_background_power_ratio():
    timeline = np.zeros(48_000, dtype=np.float32)
    timeline[16_000:32_000] = sine(700.0, 1.0, 0.5)
    noise = np.random.default_rng(0).standard_normal(48_000).astype(np.float32)
    mixed = mix_at_snr(timeline, slice(16_000, 32_000), noise, 10.0)
    added = mixed - timeline
    snr = 10 * np.log10(np.mean(timeline[16_000:32_000] ** 2) / np.mean(added**2))
    assert snr == pytest.approx(10.0, abs=0.01)


def test_a_dry_chain_keeps_the_drawn_snr():
    sim = HeldoutSimulator(room=Room(kinds=("none",)), agc=Agc(probability=0.0), codec=Codec(kinds=("none",)),
                           background=Background(kinds=("pink",)))
    params = sim.draw(np.random.default_rng(1), 0.0)
    assert params["snr_db"] == 0.0 and params["background"]["kind"] == "pink"
    loud = sim.apply(cry(), params)
    quiet = sim.apply(cry(), {**params, "snr_db": None})
    assert np.mean((loud - quiet) ** 2) > 0.1 * np.mean(quiet**2)  # the background is really there at 0 dB


def test_clean_lead_in_is_only_position_and_level():
    sim = HeldoutSimulator()
    y, params = sim.clean_lead_in(cry(), np.random.default_rng(4))
    assert 0 <= params["lead_in_s"] <= 1.5 and params["floor_below_peak_db"] == 40.0
    lead = int(params["lead_in_s"] * 16_000)
    scale = 10 ** (params["peak_dbfs"] / 20) / np.max(np.abs(cry()))
    residual = y[lead : lead + 12_000] - scale * cry()
    assert np.sqrt(np.mean(residual**2)) == pytest.approx(10 ** ((params["peak_dbfs"] - 40) / 20), rel=0.1)


def test_parse_ids_and_the_cries_layout(tmp_path):
    assert parse_ids("1-3,25,2") == [1, 2, 3, 25]
    with pytest.raises(ValueError, match="'x'"):
        parse_ids("1-3,x")
    (tmp_path / "cries" / "pokemon" / "latest").mkdir(parents=True)
    (tmp_path / "cries" / "pokemon" / "latest" / "1.ogg").write_bytes(b"")
    assert cry_folder(tmp_path) == tmp_path / "cries" / "pokemon"
    found, missing = reference_cries(tmp_path, [1, 2], ("latest",))
    assert [c.pokedex_id for c in found] == [1] and missing == ["latest/2"]
    with pytest.raises(ValueError, match="renditions"):
        reference_cries(tmp_path, [1], ("remastered",))
    with pytest.raises(FileNotFoundError, match="cries layout"):
        cry_folder(tmp_path / "cries" / "pokemon" / "latest")
