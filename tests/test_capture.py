"""Capture chain: each transform is finite and bounded, and its documented effect is measured."""

import numpy as np
import pytest
from spectral import level_db, peak_frequency, tone_gain_db
from synthetic import fake_cry, tone

from dataset_builder.capture import (
    AutomaticGainControl,
    Clipping,
    Codec,
    Gain,
    Loudspeaker,
    Microphone,
    PlaceInRecording,
    RirBank,
    RoomReverb,
    encode_decode,
    simulate_rir_banks,
    soft_limit,
)
from frontend.audio import CLIP_SECONDS, SAMPLE_RATE

SR = SAMPLE_RATE


def fixed(transform, **parameters):
    """Draw, then pin some parameters (what a test wants to measure)."""
    transform.randomize_parameters(np.random.default_rng(0))
    transform.parameters.update(parameters)
    return transform


def sane(x, n=None):
    assert x.dtype == np.float32 and np.all(np.isfinite(x))
    if n is not None:
        assert len(x) == n
    return x


# ------------------------------------------------------------------ placement


def test_place_puts_the_cry_inside_a_clip_with_room_before_and_after():
    cry = fake_cry(1, 1.0)
    place = fixed(PlaceInRecording(), offset_fraction=0.5)
    out = sane(place.apply(cry, SR), int(CLIP_SECONDS * SR))
    start = int(round(place.parameters["start_s"] * SR))
    assert np.array_equal(out[start : start + len(cry)], cry)
    assert start >= 0.25 * SR and len(out) - start - len(cry) >= 0.25 * SR
    assert not out[:start].any() and not out[start + len(cry) :].any()


def test_place_cuts_a_cry_longer_than_the_clip_with_a_fade():
    place = fixed(PlaceInRecording(clip_seconds=1.0, min_margin_seconds=0.1))
    out = sane(place.apply(tone(440.0, 2.0), SR), SR)
    assert place.parameters["cry_s"] == pytest.approx(0.8)
    assert abs(out[int(0.9 * SR) - 1]) < 0.05


# ------------------------------------------------------------------ loudspeaker


def test_loudspeaker_band_limits():
    speaker = fixed(Loudspeaker(), low_cut_hz=500.0, high_cut_hz=4000.0, resonance_db=0.0, drive_db=0.0)
    mid = tone_gain_db(lambda x: speaker.apply(x, SR), 1500.0)
    assert tone_gain_db(lambda x: speaker.apply(x, SR), 150.0) < mid - 30  # ~2 octaves below a 24 dB/oct cut
    assert tone_gain_db(lambda x: speaker.apply(x, SR), 7000.0) < mid - 15


def _harmonic_ratio_db(y, f0=500.0):
    spectrum = np.abs(np.fft.rfft(y[SR // 4 :] * np.hanning(len(y) - SR // 4)))
    freqs = np.fft.rfftfreq(len(y) - SR // 4, 1 / SR)
    band = lambda f: spectrum[(freqs > f - 20) & (freqs < f + 20)].max()  # noqa: E731
    return 20 * np.log10(band(3 * f0) / band(f0))


def test_loudspeaker_drive_adds_harmonics():
    x = tone(500.0, 1.0, amplitude=0.8)
    clean = fixed(Loudspeaker(), low_cut_hz=100.0, high_cut_hz=7500.0, resonance_db=0.0, drive_db=0.0)
    driven = fixed(Loudspeaker(), low_cut_hz=100.0, high_cut_hz=7500.0, resonance_db=0.0, drive_db=18.0)
    assert _harmonic_ratio_db(sane(driven.apply(x, SR))) > _harmonic_ratio_db(sane(clean.apply(x, SR))) + 10


def test_loudspeaker_rejects_an_empty_pass_band():
    with pytest.raises(ValueError, match="pass band"):
        Loudspeaker(min_low_cut_hz=100, max_low_cut_hz=1500, min_high_cut_hz=1000, max_high_cut_hz=7000)


# ------------------------------------------------------------------ room


@pytest.fixture(scope="module")
def banks(tmp_path_factory):
    cache = tmp_path_factory.mktemp("rirs")
    return simulate_rir_banks({"train": 2, "validation": 1, "test": 1}, 2, 0.3, 0.7, seed=0, cache_dir=cache), cache


def _decay_db(y, end):
    """Level 150 ms after a burst ends, relative to the burst."""
    return level_db(y[end + int(0.15 * SR) : end + int(0.25 * SR)]) - level_db(y[end - int(0.1 * SR) : end])


def test_reverb_lengthens_the_decay(banks):
    bank = banks[0]["train"]
    x = np.zeros(SR, np.float32)
    burst = np.random.default_rng(0).standard_normal(int(0.2 * SR)).astype(np.float32) * 0.3
    x[SR // 10 : SR // 10 + len(burst)] = burst
    end = SR // 10 + len(burst)
    room = fixed(RoomReverb(bank), index=0)
    y = sane(room.apply(x, SR), SR)
    assert _decay_db(y, end) > -40  # a dry signal is -inf there
    assert room.recipe()["rt60_s"] >= 0.3 and room.recipe()["room"].startswith("train-room")


def test_rooms_are_disjoint_per_split_and_rt60s_plausible(banks):
    by_split = banks[0]
    assert [len(by_split[s]) for s in ("train", "validation", "test")] == [4, 2, 2]
    rooms = [by_split[s].rooms for s in ("train", "validation", "test")]
    assert not rooms[0] & rooms[1] and not rooms[0] & rooms[2] and not rooms[1] & rooms[2]
    for bank in by_split.values():
        for rir, info in zip(bank.rirs, bank.info, strict=True):
            assert np.all(np.isfinite(rir)) and np.max(np.abs(rir)) == pytest.approx(1.0)
            assert 0.1 < info["measured_rt60_s"] < 1.5 and 0.2 <= info["distance_m"] <= 3.1


def test_room_banks_are_reproducible_and_cached(banks):
    first, cache = banks
    assert list((cache / "rirs").glob("*.npz"))
    again = simulate_rir_banks({"train": 2, "validation": 1, "test": 1}, 2, 0.3, 0.7, seed=0, cache_dir=cache)
    fresh = simulate_rir_banks({"train": 2, "validation": 1, "test": 1}, 2, 0.3, 0.7, seed=0, cache_dir=None)
    for split in first:
        for a, b, c in zip(first[split].rirs, again[split].rirs, fresh[split].rirs, strict=True):
            assert a.tobytes() == b.tobytes() == c.tobytes()


def test_empty_room_bank_is_rejected():
    with pytest.raises(ValueError, match="empty"):
        RoomReverb(RirBank("test", [], []))


# ------------------------------------------------------------------ microphone


def test_microphone_adds_noise_at_its_snr_and_colours_the_sound():
    x = np.zeros(2 * SR, np.float32)
    x[SR // 2 : SR + SR // 2] = tone(1000.0, 1.0, amplitude=0.3)
    mic = fixed(Microphone(eq_bands=0), low_cut_hz=60.0, noise_snr_db=40.0)
    y = sane(mic.apply(x, SR), 2 * SR)
    noise_db = level_db(y[: SR // 2 - 100])  # before the tone: the self-noise alone
    assert abs((level_db(x[SR // 2 : SR + SR // 2]) - noise_db) - 40.0) < 1.5
    bump = fixed(Microphone(eq_bands=1), low_cut_hz=60.0, noise_snr_db=100.0, eq_bands_hz_db_q=[[2000.0, 6.0, 1.0]])
    assert tone_gain_db(lambda s: bump.apply(s, SR), 2000.0) == pytest.approx(6.0, abs=0.5)
    low = fixed(Microphone(eq_bands=0), low_cut_hz=250.0, noise_snr_db=100.0)
    assert tone_gain_db(lambda s: low.apply(s, SR), 60.0) < -20


# ------------------------------------------------------------------ levels


@pytest.mark.parametrize("peak_dbfs", [-30.0, -6.0, 3.0])
def test_gain_sets_the_peak(peak_dbfs):
    gain = fixed(Gain(), peak_dbfs=peak_dbfs)
    y = sane(gain.apply(fake_cry(0, 0.5), SR))
    assert 20 * np.log10(np.max(np.abs(y))) == pytest.approx(peak_dbfs, abs=0.01)


def test_clipping_bounds_the_peak_and_counts_clipped_samples():
    x = tone(440.0, 0.5, amplitude=2.0)
    clip = fixed(Clipping(-6.0, -6.0))
    y = sane(clip.apply(x, SR))
    limit = 10 ** (-6 / 20)
    assert np.max(np.abs(y)) <= limit + 1e-7
    assert clip.parameters["clipped_fraction"] == pytest.approx(np.mean(np.abs(x) > limit), abs=1e-4)
    with pytest.raises(ValueError, match="threshold"):
        Clipping(-3.0, 1.0)


def test_agc_brings_a_quiet_recording_toward_its_target_and_never_exceeds_full_scale():
    agc = fixed(AutomaticGainControl(), enabled=True, target_dbfs=-20.0, max_gain_db=30.0, attack_ms=10.0, release_ms=300.0)
    quiet = tone(440.0, 3.0, amplitude=0.01)  # about -43 dBFS RMS
    y = sane(agc.apply(quiet, SR), len(quiet))
    assert level_db(y[2 * SR :]) == pytest.approx(-20.0, abs=2.0)
    loud = tone(440.0, 1.0, amplitude=1.0)
    assert np.max(np.abs(agc.apply(loud * 3, SR))) < 1.0
    off = fixed(AutomaticGainControl(), enabled=False)
    assert np.array_equal(off.apply(quiet, SR), quiet)


def test_soft_limit_is_identity_below_the_knee_and_bounded():
    x = np.linspace(-5, 5, 1001)
    y = soft_limit(x)
    assert np.array_equal(y[np.abs(x) <= 0.9], x[np.abs(x) <= 0.9])
    assert np.max(np.abs(y)) <= 1.0 and np.all(np.diff(y) >= 0)


# ------------------------------------------------------------------ codec


@pytest.mark.parametrize("codec, kbps", [("mp3", 32), ("opus", 16), ("aac", 48)])
def test_codec_changes_the_samples_but_keeps_the_tone(codec, kbps):
    x = tone(1000.0, 1.0, amplitude=0.5)
    y = sane(encode_decode(x, codec, kbps), len(x))
    assert not np.array_equal(x, y)
    assert abs(peak_frequency(y) - 1000.0) < 1.0
    assert np.corrcoef(x[SR // 10 : -SR // 10], y[SR // 10 : -SR // 10])[0, 1] > 0.95  # aligned, same tone
    assert y.tobytes() == encode_decode(x, codec, kbps).tobytes()  # deterministic


def test_codec_draws_codecs_and_bitrates_and_records_them():
    codec = Codec(probability=0.9)
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(60):
        codec.randomize_parameters(rng)
        seen.add(codec.parameters["codec"])
        if codec.parameters["codec"] != "none":
            assert codec.parameters["bitrate_kbps"] in codec.bitrates_kbps[codec.parameters["codec"]]
    assert seen == {"mp3", "opus", "aac", "none"}


def test_codec_none_is_identity_and_bad_settings_raise():
    codec = fixed(Codec(), codec="none", bitrate_kbps=None)
    x = fake_cry(0, 0.3)
    assert np.array_equal(codec.apply(x, SR), x)
    with pytest.raises(ValueError, match="unknown codec"):
        Codec(codecs=("mp3", "flac"))
    with pytest.raises(ValueError, match="bitrates"):
        Codec(bitrates_kbps={"mp3": (1000,)})
