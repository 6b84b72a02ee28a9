"""Make the variants of one cry: ``clean``, ``augmented`` (the original's four families) or ``capture``.

``capture`` is ``augmented`` plus the chain a phone hears: the cry inside a ``CLIP_SECONDS`` recording
(after a 0-2 s lead-in, or cut at either edge) with background before and after, a loudspeaker and a
wide static colouration (EQ, resonances, ripple), a room, a microphone, gain / clipping, a compressor or
limiter, an AGC and a lossy codec or phone-band path (see :mod:`dataset_builder.augment`). Family
hold-outs (``holdout_families``) take one family out of the train split only. Every random draw comes from the ``rng`` passed to
:meth:`VariantMaker.make`, and every resource a split uses (background recordings, rooms) belongs to
that split only, so train and test share neither recordings nor rooms nor random streams.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from common.files import default_cache_dir
from frontend.audio import CLIP_SECONDS, SAMPLE_RATE, SILENCE_DBFS
from frontend.levels import peak_normalise, remove_dc, rms_dbfs, sounding_span

from .augment import (
    CODEC_FORMATS,
    PHONE_BAND_CODECS,
    AddBackground,
    AutomaticGainControl,
    Clipping,
    Codec,
    Compressor,
    Equalizer,
    Gain,
    HighPassFilter,
    Loudspeaker,
    LowPassFilter,
    MeasuredLoudspeaker,
    Microphone,
    OneOf,
    PitchShift,
    PlaceInRecording,
    RoomReverb,
    TimeStretch,
)
from .backgrounds import BackgroundBank
from .dsp import stretch_and_shift
from .measured_speakers import load_responses
from .procedural import PROCEDURAL_KINDS
from .rooms import simulate_rir_banks
from .schema import CONDITIONS, SPLITS

FAMILIES = ("time_stretch", "pitch_shift", "filter", "background")
"""The original project's augmentation families, in the order they are applied."""

NO_CRY_SECONDS = (0.5, 3.0)
"""s. Length of the background stretch that stands where a cry would be in a ``no_cry`` recording."""

RECIPE_VERSION = 2
"""2: lead-in / edge cuts, equalizer, compressor, GSM / G.711 and double encoding, family hold-outs."""

HOLDOUT_FAMILIES: dict[str, tuple[str, ...]] = {
    "codec": (*CODEC_FORMATS, "phone", "all"),
    "room": ("all",),
    "loudspeaker": ("all", "equalizer"),
    "dynamics": ("all", "agc", "compressor"),
    "background": (*PROCEDURAL_KINDS, "music", "youtube"),
}
"""``family=value`` pairs a build can leave out of its train split (validation and test keep them)."""

Range = tuple[float, float]


@dataclass
class AugmentConfig:
    """Every range the variants are drawn from. Checked on construction, with errors that name the field."""

    families: tuple[str, ...] = FAMILIES
    min_families: int = 1
    max_families: int = 4
    """``augmented`` applies between these many of ``families``, drawn at random (the original: 1-4)."""
    stretch_rate: Range = (0.85, 1.15)
    pitch_semitones: Range = (-1.0, 1.0)
    """Evolution lines share a base cry at different pitch: ±3 semitones (the original) erases the cue."""
    high_pass_hz: Range = (300.0, 1500.0)
    low_pass_hz: Range = (3000.0, 6000.0)
    filter_order: tuple[int, int] = (2, 4)
    snr_db: Range = (-5.0, 30.0)
    """Background SNR (active level of the cry over the background's power); wide for an honest robustness curve."""
    trim_top_db: float = 50.0
    """dB. The cry is trimmed where the front end's meter is this far below its loudest frame, then peak-normalised."""
    peak_dbfs: float = -1.0
    # capture chain
    clip_seconds: float = CLIP_SECONDS
    min_margin_seconds: float = 0.25
    max_lead_in_s: float | None = 2.0
    """s. The cry starts after a lead-in drawn from [min_margin_seconds, this]; None: anywhere between the margins."""
    edge_cut_probability: float = 0.15
    """Share of captures that start or stop in the middle of the cry (up to half of it outside the clip)."""
    speaker_low_cut_hz: Range = (100.0, 800.0)
    speaker_high_cut_hz: Range = (3400.0, 7500.0)
    speaker_resonance_db: Range = (0.0, 8.0)
    speaker_drive_db: Range = (0.0, 18.0)
    eq_probability: float = 0.8
    eq_max_gain_db: float = 15.0
    """Broad peaking bands of ±this; plus up to 3 resonances of 3-12 dB and a ripple of up to ±3 dB."""
    rooms_per_split: dict[str, int] = field(default_factory=lambda: {"train": 24, "validation": 6, "test": 6})
    positions_per_room: int = 3
    rt60_s: Range = (0.15, 0.8)
    mic_low_cut_hz: Range = (60.0, 250.0)
    mic_eq_gain_db: Range = (-6.0, 6.0)
    mic_noise_snr_db: Range = (25.0, 60.0)
    capture_peak_dbfs: Range = (-45.0, 3.0)
    """Peak after the preamp; above 0 dBFS the converter clips."""
    clip_threshold_dbfs: Range = (0.0, 0.0)
    agc_probability: float = 0.8
    agc_target_dbfs: Range = (-26.0, -14.0)
    agc_max_gain_db: Range = (10.0, 30.0)
    agc_attack_ms: Range = (5.0, 100.0)
    agc_release_ms: Range = (100.0, 3000.0)
    compressor_probability: float = 0.5
    compressor_attack_ms: Range = (0.5, 50.0)
    compressor_release_ms: Range = (20.0, 1000.0)
    compressor_threshold_reference: str = "dbfs"
    """What the compressor's threshold (-40 to -10 dB) is measured against: "dbfs" (full scale: a quiet capture
    passes under it) or "peak" (the capture's own peak: every capture is squeezed as hard, whatever its level)."""
    codecs: tuple[str, ...] = ("mp3", "opus", "aac", "gsm", "g711")
    codec_probability: float = 0.9
    codec_double_probability: float = 0.2
    """Share of coded captures encoded a second time (another drawn codec): a clip re-shared by an app."""
    holdout_families: tuple[str, ...] = ()
    """``family=value`` items (see HOLDOUT_FAMILIES) left out of the train split only."""
    measured_speakers: str | None = None
    """Folder of measured loudspeaker responses (:mod:`dataset_builder.measured_speakers`); None: drawn ones only."""
    measured_speaker_probability: float = 0.5
    """Share of captures whose loudspeaker is a measured response instead of a drawn one (with ``measured_speakers``)."""

    def __post_init__(self) -> None:
        self._check_families()
        self._check_ranges()
        self._check_capture()
        try:  # the transforms check their own ranges too; surface any mismatch now, not at the first variant
            _SplitChain.check(self)
        except ValueError as err:
            raise ValueError(f"AugmentConfig: {err}") from None
        if max(abs(v) for v in self.pitch_semitones) > 1.5:
            warnings.warn(
                f"AugmentConfig.pitch_semitones={self.pitch_semitones}: beyond ±1.5 semitones a pitch shift can turn one "
                "member of an evolution line into another (they share a base cry at different pitch)",
                stacklevel=3,
            )

    def _check_families(self) -> None:
        unknown = [f for f in self.families if f not in FAMILIES]
        if unknown or not self.families or len(set(self.families)) != len(self.families):
            raise ValueError(f"AugmentConfig.families={self.families}: expected distinct names among {FAMILIES}")
        self.families = tuple(f for f in FAMILIES if f in self.families)
        if not (isinstance(self.min_families, int) and isinstance(self.max_families, int)):
            raise ValueError("AugmentConfig.min_families / max_families: expected integers")
        if not 1 <= self.min_families <= self.max_families <= len(self.families):
            raise ValueError(
                f"AugmentConfig: min_families={self.min_families}, max_families={self.max_families}; "
                f"expected 1 <= min <= max <= {len(self.families)} (the number of families)"
            )

    def _check_ranges(self) -> None:
        """Every (min, max) field within its allowed interval, and the scalar levels."""
        checks = {
            "stretch_rate": (0.5, 2.0),
            "pitch_semitones": (-12.0, 12.0),
            "high_pass_hz": (20.0, SAMPLE_RATE / 2 * 0.95),
            "low_pass_hz": (20.0, SAMPLE_RATE / 2 * 0.95),
            "filter_order": (1, 8),
            "snr_db": (-30.0, 80.0),
            "speaker_low_cut_hz": (20.0, 2000.0),
            "speaker_high_cut_hz": (1000.0, SAMPLE_RATE / 2 * 0.95),
            "speaker_resonance_db": (0.0, 20.0),
            "speaker_drive_db": (0.0, 40.0),
            "rt60_s": (0.05, 2.0),
            "mic_low_cut_hz": (20.0, 1000.0),
            "mic_eq_gain_db": (-20.0, 20.0),
            "mic_noise_snr_db": (0.0, 100.0),
            "capture_peak_dbfs": (-60.0, 20.0),
            "clip_threshold_dbfs": (-30.0, 0.0),
            "agc_target_dbfs": (-40.0, -3.0),
            "agc_max_gain_db": (0.0, 60.0),
            "agc_attack_ms": (1.0, 500.0),
            "agc_release_ms": (20.0, 10000.0),
            "compressor_attack_ms": (0.1, 500.0),
            "compressor_release_ms": (5.0, 5000.0),
        }
        for name, (lower, upper) in checks.items():
            _check_range_field(name, getattr(self, name), lower, upper)
            setattr(self, name, tuple(getattr(self, name)))
        for name, lower, upper in (("trim_top_db", 10.0, 120.0), ("peak_dbfs", -40.0, 0.0), ("clip_seconds", 0.5, 60.0)):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not lower <= value <= upper:
                raise ValueError(f"AugmentConfig.{name}={value!r}: expected a number in [{lower}, {upper}]")
        if any(int(v) != v for v in self.filter_order):
            raise ValueError(f"AugmentConfig.filter_order={self.filter_order}: expected integer orders")
        self.filter_order = tuple(int(v) for v in self.filter_order)

    def _check_capture(self) -> None:
        """The capture chain's settings that are not plain ranges: pass band, margins, probabilities, rooms, codecs."""
        if self.speaker_low_cut_hz[1] >= self.speaker_high_cut_hz[0]:
            raise ValueError(
                f"AugmentConfig: speaker_low_cut_hz={self.speaker_low_cut_hz} must lie below speaker_high_cut_hz={self.speaker_high_cut_hz}"
            )
        if not 0 <= self.min_margin_seconds < self.clip_seconds / 4:
            raise ValueError(f"AugmentConfig.min_margin_seconds={self.min_margin_seconds}: expected 0 to clip_seconds/4")
        for name in ("agc_probability", "codec_probability", "codec_double_probability", "compressor_probability",
                     "eq_probability", "edge_cut_probability", "measured_speaker_probability"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"AugmentConfig.{name}={getattr(self, name)}: expected a probability in [0, 1]")
        if set(self.rooms_per_split) != set(SPLITS) or any(
            not isinstance(v, int) or v < 1 for v in self.rooms_per_split.values()
        ):
            raise ValueError(f"AugmentConfig.rooms_per_split={self.rooms_per_split}: expected a positive integer for each of {SPLITS}")
        if not isinstance(self.positions_per_room, int) or not 1 <= self.positions_per_room <= 16:
            raise ValueError(f"AugmentConfig.positions_per_room={self.positions_per_room}: expected an integer 1-16")
        if self.compressor_threshold_reference not in Compressor.REFERENCES:
            raise ValueError(
                f"AugmentConfig.compressor_threshold_reference={self.compressor_threshold_reference!r}: "
                f"expected one of {Compressor.REFERENCES}"
            )
        bad_codecs = [c for c in self.codecs if c not in CODEC_FORMATS]
        if bad_codecs or not self.codecs:
            raise ValueError(f"AugmentConfig.codecs={self.codecs}: expected some of {tuple(CODEC_FORMATS)}")
        self.codecs = tuple(self.codecs)
        self.holdout_families = parse_holdouts(self.holdout_families)


def parse_holdouts(items: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """``"codec=gsm,background=music"`` (or a sequence of such items) → sorted, checked ``family=value`` items."""
    if items is None:
        return ()
    parts = items.split(",") if isinstance(items, str) else list(items)
    out = set()
    for raw in parts:
        item = str(raw).strip().lower()
        if not item:
            continue
        family, _, value = item.partition("=")
        if family not in HOLDOUT_FAMILIES or value not in HOLDOUT_FAMILIES[family]:
            choices = "; ".join(f"{f}={'|'.join(v)}" for f, v in HOLDOUT_FAMILIES.items())
            raise ValueError(f"--holdout-family {raw!r}: expected family=value among {choices}")
        out.add(f"{family}={value}")
    return tuple(sorted(out))


def holdout_values(holdouts: tuple[str, ...], family: str) -> set[str]:
    """The values of ``family`` held out, e.g. ``{"gsm"}`` for ``("codec=gsm",)``."""
    return {item.partition("=")[2] for item in holdouts if item.partition("=")[0] == family}


def augment_config_for_build(build_config: Any, augment_config: AugmentConfig | None = None) -> AugmentConfig:
    """The build's AugmentConfig: ``augment_config`` (or the defaults) with the build's SNR range and hold-outs."""
    overrides: dict[str, Any] = {"snr_db": (build_config.min_snr_db, build_config.max_snr_db)}
    if getattr(build_config, "measured_speakers", None):
        overrides["measured_speakers"] = str(build_config.measured_speakers)
        overrides["measured_speaker_probability"] = float(build_config.measured_speaker_probability)
    if getattr(build_config, "compressor_reference", None):
        overrides["compressor_threshold_reference"] = str(build_config.compressor_reference)
    if getattr(build_config, "holdout_family", None):
        overrides["holdout_families"] = parse_holdouts(build_config.holdout_family)
    return replace(augment_config, **overrides) if augment_config else AugmentConfig(**overrides)


def _check_range_field(name: str, value: Any, lower: float, upper: float) -> None:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"AugmentConfig.{name}={value!r}: expected a (min, max) pair of numbers") from None
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"AugmentConfig.{name}={value!r}: expected finite numbers")
    if low > high:
        raise ValueError(f"AugmentConfig.{name}={value!r}: min is greater than max; expected (min, max)")
    if low < lower or high > upper:
        raise ValueError(f"AugmentConfig.{name}={value!r}: expected values within [{lower}, {upper}]")


@dataclass
class Variant:
    """One generated clip and how it was made."""

    audio: np.ndarray
    """float32 mono at SAMPLE_RATE, finite, not silent, peak <= 1."""
    recipe: dict
    """JSON-serialisable: condition and every transform with its drawn parameters, in order."""
    background_kind: str
    """``none`` when no background was mixed in."""
    background_id: str
    snr_db: float | None


class _SplitChain:
    """The transforms of one split: the same classes everywhere, but this split's backgrounds and rooms.

    In the train split, the config's family hold-outs apply: a held-out transform still draws its
    parameters (so every other draw matches the build without the hold-out) but is not applied.
    """

    def __init__(self, config: AugmentConfig, maker: VariantMaker, split: str):
        held = config.holdout_families if split == "train" else ()
        self._build(config, held)
        exclude = tuple(sorted(holdout_values(held, "background")))
        self.background = AddBackground(maker.backgrounds.pool(split, exclude_kinds=exclude), *config.snr_db)
        self.room = RoomReverb(maker.rir_banks[split])
        # a measured response, when the build has some, stands in for the drawn loudspeaker (it draws first, so a
        # build without one keeps every draw of the builds before it)
        measured = [MeasuredLoudspeaker(maker.speaker_bank, config.measured_speaker_probability)] if maker.speaker_bank else []
        self.capture = [
            *measured, self.speaker, self.equalizer, self.room, self.mic, self.gain, self.clipping, self.compressor,
            self.agc, self.codec,
        ]
        self.skipped = _skipped_transforms(held)

    @classmethod
    def check(cls, config: AugmentConfig) -> None:
        """Construct every split-independent transform (their ``__init__`` checks the ranges)."""
        cls.__new__(cls)._build(config, config.holdout_families)

    def _build(self, c: AugmentConfig, held: tuple[str, ...] = ()) -> None:
        self.stretch = TimeStretch(*c.stretch_rate)
        self.pitch = PitchShift(*c.pitch_semitones)
        self.filter = OneOf(
            [HighPassFilter(*c.high_pass_hz, *c.filter_order), LowPassFilter(*c.low_pass_hz, *c.filter_order)], name="filter"
        )
        self.place = PlaceInRecording(c.clip_seconds, c.min_margin_seconds, c.max_lead_in_s, c.edge_cut_probability)
        self.speaker = Loudspeaker(
            *c.speaker_low_cut_hz, *c.speaker_high_cut_hz, *c.speaker_resonance_db, *c.speaker_drive_db
        )
        self.equalizer = Equalizer(c.eq_probability, max_gain_db=c.eq_max_gain_db)
        self.mic = Microphone(*c.mic_low_cut_hz, *c.mic_eq_gain_db, 2, *c.mic_noise_snr_db)
        self.gain = Gain(*c.capture_peak_dbfs)
        self.clipping = Clipping(*c.clip_threshold_dbfs)
        self.compressor = Compressor(
            c.compressor_probability, *(-40.0, -10.0), *(2.0, 20.0), *c.compressor_attack_ms, *c.compressor_release_ms,
            threshold_reference=c.compressor_threshold_reference,
        )
        self.agc = AutomaticGainControl(
            c.agc_probability, *c.agc_target_dbfs, *c.agc_max_gain_db, attack_ms=c.agc_attack_ms, release_ms=c.agc_release_ms
        )
        self.codec = _codec_without(c, holdout_values(held, "codec"))


def _codec_without(c: AugmentConfig, held: set[str]) -> Codec:
    """The config's Codec, less the held-out codecs (``phone``: GSM and G.711; ``all``: no codec at all)."""
    if "phone" in held:
        held = held | set(PHONE_BAND_CODECS)
    kept = tuple(k for k in c.codecs if k not in held and "all" not in held)
    if not kept:  # nothing left to draw: every capture goes uncoded
        return Codec(tuple(c.codecs), 0.0)
    return Codec(kept, c.codec_probability, double_probability=c.codec_double_probability)


def _skipped_transforms(held: tuple[str, ...]) -> set[str]:
    """Names of the capture transforms a split's hold-outs switch off."""
    skipped = set()
    if holdout_values(held, "room"):
        skipped.add("room")
    speaker = holdout_values(held, "loudspeaker")
    skipped |= {"measured_loudspeaker", "loudspeaker", "equalizer"} if "all" in speaker else speaker
    dynamics = holdout_values(held, "dynamics")
    skipped |= {"agc", "compressor"} if "all" in dynamics else dynamics
    return skipped


class VariantMaker:
    """Deterministic variant factory: same cry + same rng state → byte-identical output, in any process.

    Construction simulates one bank of room impulse responses per split (disjoint rooms, split-specific
    seeds; cached on disk under the background cache). Pickling carries the config, the background
    manifest and the impulse responses (a few MB), never decoded audio.
    """

    def __init__(self, config: AugmentConfig, backgrounds: BackgroundBank, seed: int):
        self.config = config
        self.backgrounds = backgrounds
        self.seed = int(seed)
        cache = backgrounds.config.cache_dir or default_cache_dir("backgrounds")
        self.rir_banks = simulate_rir_banks(
            dict(config.rooms_per_split), config.positions_per_room, *config.rt60_s, seed=self.seed, cache_dir=cache
        )
        self.speaker_bank = load_responses(config.measured_speakers) if config.measured_speakers else None
        self._chains: dict[str, _SplitChain] = {}

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_chains"] = {}
        return state

    def _chain(self, split: str) -> _SplitChain:
        if split not in self._chains:
            self._chains[split] = _SplitChain(self.config, self, split)
        return self._chains[split]

    def prepare(self, cry: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        """Trim silence at both ends and peak-normalise: the ``clean`` variant, and the input of the others."""
        x = np.asarray(cry, dtype=np.float32)
        if x.ndim != 1 or x.size == 0:
            raise ValueError(f"VariantMaker: expected a non-empty mono (1-D) cry, got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError("VariantMaker: the cry contains NaN or Inf samples; expected finite audio")
        x = remove_dc(x)  # a DC offset would survive every filter below and waste headroom
        peak = float(np.max(np.abs(x)))
        if peak < 10 ** (SILENCE_DBFS / 20):
            level = 20 * np.log10(peak) if peak > 0 else float("-inf")
            raise ValueError(f"VariantMaker: the cry is silent (peak {level:.1f} dBFS < {SILENCE_DBFS} dBFS); expected an audible cry")
        start, end = sounding_span(x, below_peak_db=self.config.trim_top_db, pad_seconds=0.0)
        x = x[start:end]
        gain = 10 ** (self.config.peak_dbfs / 20) / float(np.max(np.abs(x)))
        step = {
            "name": "prepare",
            "trim_start_s": round(start / SAMPLE_RATE, 4),
            "duration_s": round(len(x) / SAMPLE_RATE, 4),
            "gain_db": round(float(20 * np.log10(gain)), 2),
        }
        return peak_normalise(x, self.config.peak_dbfs), step

    def make(self, cry: np.ndarray, split: str, condition: str, rng: np.random.Generator) -> Variant:
        """One variant of ``cry`` (mono float32 at SAMPLE_RATE) for ``split`` under ``condition``."""
        if split not in SPLITS:
            raise ValueError(f"VariantMaker.make: unknown split {split!r}; expected one of {SPLITS}")
        if condition not in CONDITIONS:
            raise ValueError(f"VariantMaker.make: unknown condition {condition!r}; expected one of {CONDITIONS}")
        x, step = self.prepare(cry)
        steps: list[dict[str, Any]] = [step]
        background: dict[str, Any] | None = None
        if condition != "clean":
            chain = self._chain(split)
            families = self._draw_families(condition, rng)
            x = self._cry_families(chain, families, x, rng, steps)
            if condition == "capture":
                chain.place.randomize_parameters(rng)
                x = chain.place.apply(x, SAMPLE_RATE)
                steps.append(chain.place.recipe())
            if "background" in families:
                chain.background.randomize_parameters(rng)
                x = chain.background.apply(x, SAMPLE_RATE)
                background = chain.background.recipe()
                steps.append(background)
            if condition == "capture":
                x = self._capture(chain, x, rng, steps)
        x, final = self._finalise(x, condition)
        steps.append(final)
        recipe = {"version": RECIPE_VERSION, "condition": condition, "sample_rate": SAMPLE_RATE, "transforms": steps}
        if self.config.holdout_families:
            recipe["holdout_families"] = list(self.config.holdout_families)
        if background is None:
            return Variant(x, recipe, "none", "", None)
        return Variant(x, recipe, background["kind"], background["id"], float(background["snr_db"]))

    def make_no_cry(self, split: str, rng: np.random.Generator) -> Variant:
        """A capture without a cry: a stretch of ``split``'s own background sounds where the cry would be.

        It goes through every step a cry's capture does (placement, background, loudspeaker, room, codec…), so
        the only thing that tells it from a cry's capture is the missing cry.
        """
        pool = self._chain(split).background.pool
        recording = pool.choose(rng)
        seconds, offset = float(rng.uniform(*NO_CRY_SECONDS)), float(rng.uniform())
        source = pool.segment(recording.id, offset, int(seconds * SAMPLE_RATE))
        variant = self.make(source, split, "capture", rng)
        variant.recipe["transforms"].insert(0, {"name": "no_cry_source", "kind": recording.kind, "id": recording.id,
                                                "offset_fraction": round(offset, 4), "seconds": round(seconds, 3)})
        return variant

    @staticmethod
    def _capture(chain: _SplitChain, x: np.ndarray, rng: np.random.Generator, steps: list) -> np.ndarray:
        """(Measured) loudspeaker → equalizer → room → microphone → gain → clipping → compressor → AGC → codec."""
        replaced = False
        for t in chain.capture:
            t.randomize_parameters(rng)  # drawn even when held out: the other draws stay those of the full build
            if t.name in chain.skipped:
                steps.append({"name": t.name, "held_out": True})
                continue
            if t.name == "loudspeaker" and replaced:
                steps.append({"name": t.name, "replaced_by": MeasuredLoudspeaker.name})
                continue
            x = t.apply(x, SAMPLE_RATE)
            steps.append(t.recipe())
            replaced = replaced or (t.name == MeasuredLoudspeaker.name and t.parameters["applied"])
        return x

    def _draw_families(self, condition: str, rng: np.random.Generator) -> list[str]:
        """1-4 families for ``augmented``; ``capture`` always has a background (the sound before and after)."""
        c = self.config
        if condition == "capture" and "background" in c.families:
            others = [f for f in c.families if f != "background"]
            k = int(rng.integers(max(0, c.min_families - 1), min(c.max_families - 1, len(others)) + 1))
            picked = {others[i] for i in rng.choice(len(others), size=k, replace=False)} if k else set()
            picked.add("background")
        else:
            k = int(rng.integers(c.min_families, c.max_families + 1))
            picked = {c.families[i] for i in rng.choice(len(c.families), size=k, replace=False)}
        return [f for f in FAMILIES if f in picked]

    @staticmethod
    def _cry_families(chain: _SplitChain, families: list[str], x: np.ndarray, rng: np.random.Generator, steps: list) -> np.ndarray:
        stretch = "time_stretch" in families
        pitch = "pitch_shift" in families
        if stretch:
            chain.stretch.randomize_parameters(rng)
            steps.append(chain.stretch.recipe())
        if pitch:
            chain.pitch.randomize_parameters(rng)
            steps.append(chain.pitch.recipe())
        if stretch and pitch:  # one Signalsmith pass does both (same result, half the cost)
            x = stretch_and_shift(x, SAMPLE_RATE, chain.stretch.parameters["rate"], chain.pitch.parameters["semitones"])
        elif stretch:
            x = chain.stretch.apply(x, SAMPLE_RATE)
        elif pitch:
            x = chain.pitch.apply(x, SAMPLE_RATE)
        if "filter" in families:
            chain.filter.randomize_parameters(rng)
            x = chain.filter.apply(x, SAMPLE_RATE)
            steps.append(chain.filter.recipe())
        return x

    def _finalise(self, x: np.ndarray, condition: str) -> tuple[np.ndarray, dict[str, Any]]:
        """Guarantee the output contract: finite, peak <= 1, not silent; record what that took."""
        x = np.asarray(x, dtype=np.float32)
        if not np.all(np.isfinite(x)):
            raise RuntimeError(f"VariantMaker: the {condition} chain produced NaN/Inf; this is a bug, please report the recipe")
        step: dict[str, Any] = {"name": "output"}
        peak = float(np.max(np.abs(x)))
        if peak > 1.0:
            if condition == "capture":  # what a 16-bit recording does: saturate
                step["saturated_fraction"] = round(float(np.mean(np.abs(x) > 1.0)), 5)
                x = np.clip(x, -1.0, 1.0)
            else:  # the original's variants: scale down, keep the waveform
                step["scale_db"] = round(float(-20 * np.log10(peak)), 2)
                x = x / np.float32(peak)
        level = rms_dbfs(x)
        if not np.isfinite(level):
            raise RuntimeError(f"VariantMaker: the {condition} chain produced digital silence; this is a bug, please report the recipe")
        if level < SILENCE_DBFS + 10:  # never store a near-silent clip: bring it to -40 dBFS RMS
            gain = 10 ** ((-40.0 - level) / 20)
            x = np.clip(x * gain, -1.0, 1.0)
            step["rescue_gain_db"] = round(float(20 * np.log10(gain)), 2)
        x = np.ascontiguousarray(x, dtype=np.float32)
        step.update(duration_s=round(len(x) / SAMPLE_RATE, 4), rms_dbfs=round(float(rms_dbfs(x)), 2))
        return x, step
