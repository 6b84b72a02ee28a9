"""Name the Pokémon in a recording, with calibrated probabilities and an honest "not sure".

How a recording becomes an answer (:meth:`Recognizer.predict`):

1. Resample to 16 kHz mono (NaN/Inf samples become 0), trim silence, cut windows the size of the model's
   input and normalise each window's loudness (:mod:`frontend.windows`). No sound at all: "not sure"
   (silence). Under 25 ms (one fbank frame): a :class:`RecordingError` that says the minimum.
2. Describe each window with the heuristics of :mod:`recognizer.detect` (noise, speech, or cry-like).
3. Score all windows in one batch, shared with concurrent requests (:mod:`recognizer.batching`);
   probabilities are ``softmax(logits / temperature)`` from ``calibration.json`` (1.0 once the temperature
   is folded into the head, :mod:`recognizer.calibrated_head`).
4. Answer with the **most confident cry-like window**. A cry is short and usually heard once; averaging
   over a 10 s recording would dilute it with the talk or music around it and turn a clear cry into a
   "not sure". Taking the maximum is slightly optimistic on recordings without a cry, which is what the
   detector and the calibrated threshold are for.
5. "Not sure" when the sound lasts under 0.1 s (too little to be a cry), the recording holds nothing above
   1.5 kHz (a sample rate under ~4 kHz: too little of the cry), no window is cry-like, the top species is
   the model's optional ``no_cry`` class, or the top probability is under the calibrated threshold (an enrolled
   sound's own, when it has one: :mod:`recognizer.label_thresholds`).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.species import NO_CRY_LABEL, Species
from frontend.audio import MIN_CRY_SECONDS, SAMPLE_RATE, SILENCE_DBFS, int_to_float, resample, to_mono
from frontend.fbank import model_inputs, window_samples
from frontend.levels import FRAME_SECONDS, LOUD_BELOW_PEAK_DB, frame_levels, remove_dc, sounding_span
from frontend.windows import find_windows, onset_setting
from recognizer.batching import MicroBatcher
from recognizer.detect import CRY, DetectorConfig, check_sound
from recognizer.loading import ModelBundle, load_model
from recognizer.recording import check_length, read_recording

NOT_SURE_MESSAGE = "Not sure — try again closer to the speaker"

SILENCE = "silence"
LOW_CONFIDENCE = "low_confidence"
TOO_SHORT = "too_short"
NARROW_BAND = "narrow_band"
HIGH_BAND_HZ = 1500.0
"""Hz. A recording with (almost) nothing above this was sampled under ~4 kHz: most of a cry is gone."""
MIN_HIGH_BAND_DB = -45.0
"""dB. Share of the energy above HIGH_BAND_HZ under which the band counts as missing (real cries: -20 dB
or more; Pikachu's cry through a 1 kHz sample rate: -58 dB)."""
REASONS = {
    "": "",
    SILENCE: "The recording is silent.",
    TOO_SHORT: f"The sound lasts under {MIN_CRY_SECONDS:.1f} s: too little to be a cry.",
    NARROW_BAND: f"The recording has no sound above {HIGH_BAND_HZ / 1000:.1f} kHz (a sample rate under "
    f"{2 * HIGH_BAND_HZ / 1000:.0f} kHz?): too little of the cry to tell.",
    "noise": "I only hear noise, no cry.",
    "speech": "I hear talking, not a cry.",
    NO_CRY_LABEL: "That does not sound like a cry.",
    LOW_CONFIDENCE: "The cry is not clear enough to be sure.",
}


@dataclass(frozen=True)
class Guess:
    """One candidate species with its calibrated probability."""

    label: str
    probability: float
    species: Species | None = None

    def name(self, language: str = "en") -> str:
        """The species name in ``language``, falling back to English, then to the model's label."""
        names = self.species.names if self.species else {}
        return names.get(language) or names.get("en") or self.label


@dataclass(frozen=True)
class Prediction:
    """Top-k guesses (best first) and whether to trust the first."""

    guesses: list[Guess]
    not_sure: bool
    reason: str
    threshold: float
    window_start: float = 0.0
    """s. Where the window the answer comes from starts in the recording."""
    windows: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    """How many windows the detector called cry, noise or speech."""

    @property
    def top(self) -> Guess | None:
        return self.guesses[0] if self.guesses else None

    @property
    def confidence(self) -> float:
        return self.top.probability if self.top else 0.0

    @property
    def explanation(self) -> str:
        return REASONS.get(self.reason, self.reason)

    def label_dict(self, language: str = "en") -> dict[str, float]:
        """``{name: probability}`` for ``gr.Label`` (names in ``language``)."""
        return {g.name(language): g.probability for g in self.guesses}

    def verdict(self, language: str = "en") -> dict:
        """The API's JSON: ``label`` (English), ``name`` (in ``language``), confidence, not_sure, reason, guesses."""
        top = self.top
        return {
            "label": top.name("en") if top else None,
            "name": top.name(language) if top else None,
            "confidence": round(self.confidence, 6),
            "not_sure": self.not_sure,
            "reason": self.reason,
            "message": self.explanation,
            "guesses": [
                {"label": g.name("en"), "name": g.name(language), "confidence": round(g.probability, 6)}
                for g in self.guesses
            ],
        }


@dataclass(frozen=True)
class WindowLogits:
    """A recording as the recogniser scores it: 16 kHz samples, windows, detector kinds, logits (windows × classes)."""

    samples: np.ndarray
    windows: list
    kinds: list[str]
    logits: np.ndarray


def calibrated_probabilities(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax of ``logits / temperature`` (float32), the probabilities every answer is judged on."""
    z = np.asarray(logits, dtype=np.float32) / np.float32(max(float(temperature), 1e-3))
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class HeadLabels:
    """The labels an answer is over, and which of them each row of the model's head stands for.

    A label usually has one row. An enrolled sound may have one per reference recording (``python -m
    recognizer.enrol --row-per-recording``: two games' renditions of a cry can sound nothing alike, and one
    prototype between them matches neither); its rows' probabilities add up to the label's, so it is one
    guess with one confidence.
    """

    labels: list[str]
    merge: np.ndarray | None = None
    """rows × labels, 1 where a row stands for a label; None when every row has a label of its own."""

    @classmethod
    def of(cls, row_labels: list[str]) -> HeadLabels:
        labels = list(dict.fromkeys(row_labels))
        if len(labels) == len(row_labels):
            return cls(list(row_labels))
        column = {name: i for i, name in enumerate(labels)}
        merge = np.zeros((len(row_labels), len(labels)), np.float32)
        merge[np.arange(len(row_labels)), [column[name] for name in row_labels]] = 1.0
        return cls(labels, merge)

    def probabilities(self, logits: np.ndarray, temperature: float) -> np.ndarray:
        """Per label (windows × labels): its rows' calibrated probabilities, summed."""
        probs = calibrated_probabilities(logits, temperature)
        return probs if self.merge is None else probs @ self.merge


class Recognizer:
    """A loaded model plus the recording pipeline; thread-safe for concurrent ``predict`` calls."""

    def __init__(self, bundle: ModelBundle, detector: DetectorConfig | None = None, threads: int | None = None):
        import torch

        self.bundle = bundle
        self.detector = detector or DetectorConfig()
        torch.set_num_threads(threads or default_threads())
        self.head = HeadLabels.of(bundle.labels)
        self.window = window_samples(int(bundle.feature_extractor.max_length))
        self.onset_below_peak_db = onset_setting(bundle.feature_extractor)
        self.locator = bundle.locator
        self.batcher = MicroBatcher(self._forward)

    @classmethod
    def from_pretrained(cls, source: str | None = None, **kwargs) -> Recognizer:
        """Load ``source`` (a folder or Hub id; default ``$MODEL_ID`` or models/default)."""
        return cls(load_model(source), **kwargs)

    @property
    def languages(self) -> list[str]:
        return self.bundle.languages

    @property
    def threshold(self) -> float:
        return float(self.bundle.calibration.threshold)

    def predict_file(self, path: str | os.PathLike, top_k: int = 5) -> Prediction:
        """Decode a recording (RecordingError when unusable) and :meth:`predict` it."""
        return self.predict(read_recording(path), SAMPLE_RATE, top_k)

    def window_logits(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> WindowLogits:
        """What :meth:`predict` decides on: the recording at 16 kHz, its windows, their kinds and raw logits."""
        samples = np.nan_to_num(to_mono(int_to_float(samples)), nan=0.0, posinf=0.0, neginf=0.0)
        if sample_rate != SAMPLE_RATE:
            samples = resample(samples, sample_rate, SAMPLE_RATE)
        check_length(samples)
        windows = find_windows(samples, self.window, self.onset_below_peak_db, self.locator)
        if not windows:
            return WindowLogits(samples, [], [], np.zeros((0, len(self.bundle.labels)), np.float32))
        kinds = [check_sound(w.samples, self.detector).kind for w in windows]
        import torch

        inputs = torch.from_numpy(model_inputs([w.samples for w in windows], self.bundle.feature_extractor))
        return WindowLogits(samples, windows, kinds, self.batcher(inputs))

    def predict(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE, top_k: int = 5) -> Prediction:
        """Name the Pokémon in ``samples`` (any rate; mono, (n, ch) or (ch, n); float or integer PCM)."""
        scored = self.window_logits(samples, sample_rate)
        samples, windows, kinds = scored.samples, scored.windows, scored.kinds
        if not windows:
            return Prediction([], True, SILENCE, self.threshold)
        probs = self.head.probabilities(scored.logits, self.bundle.calibration.temperature)
        best = best_window(probs, kinds, self.head.labels)
        guesses = self._top(probs[best], top_k)
        threshold = self.bundle.calibration.threshold_for(guesses[0].label if guesses else None)  # enrolled: its own
        reason = too_little_sound(samples) or doubt(kinds, probs[best], self.head.labels, threshold)
        return Prediction(
            guesses, bool(reason), reason, threshold, windows[best].start_seconds, len(windows), dict(Counter(kinds))
        )

    def _forward(self, input_values) -> np.ndarray:
        """The model on a batch of features: raw logits (runs on the batcher's thread)."""
        import torch

        with torch.inference_mode():
            return self.bundle.model(input_values=input_values).logits.float().numpy()

    def _top(self, probs: np.ndarray, k: int) -> list[Guess]:
        labels = self.head.labels
        order = np.argsort(-species_probs(probs, labels))
        picked = [i for i in order if labels[i] != NO_CRY_LABEL][:k]
        return [Guess(labels[i], float(probs[i]), self.bundle.pokedex.get(labels[i])) for i in picked]


def species_probs(probs: np.ndarray, labels: list[str]) -> np.ndarray:
    """``probs`` (one window's, or windows × classes) with ``no_cry`` out of the running: it is never a guess."""
    if NO_CRY_LABEL not in labels:
        return probs
    probs = probs.copy()
    probs[..., labels.index(NO_CRY_LABEL)] = -1.0
    return probs


def best_window(probs: np.ndarray, kinds: list[str], labels: list[str]) -> int:
    """The window an answer comes from: of the cry-like windows (all, when none is), the one whose best species
    is most probable."""
    cry_like = [i for i, kind in enumerate(kinds) if kind == CRY]
    candidates = cry_like or list(range(len(kinds)))
    return max(candidates, key=lambda i: float(species_probs(probs[i], labels).max()))


def doubt(kinds: list[str], probs: np.ndarray, labels: list[str], threshold: float) -> str:
    """Why not to trust the answer from a window with ``probs`` ("" when it can be trusted): no cry-like window,
    ``no_cry`` most probable, or the best species below ``threshold`` (the one its label is judged on:
    ``Calibration.threshold_for``)."""
    if CRY not in kinds:
        return Counter(kinds).most_common(1)[0][0]
    if NO_CRY_LABEL in labels and int(np.argmax(probs)) == labels.index(NO_CRY_LABEL):
        return NO_CRY_LABEL
    return LOW_CONFIDENCE if float(species_probs(probs, labels).max()) < threshold else ""


def too_little_sound(samples: np.ndarray) -> str:
    """TOO_SHORT, NARROW_BAND or "": is there enough of a sound (16 kHz mono) to name a cry at all?

    Too short: the frames within LOUD_BELOW_PEAK_DB of the loudest last under MIN_CRY_SECONDS (a click, a
    fragment). Narrow band: under MIN_HIGH_BAND_DB of the energy lies above HIGH_BAND_HZ.
    """
    centred = remove_dc(samples)
    span = sounding_span(centred)
    if span is None:
        return ""
    centred = centred[span[0] : span[1]]
    levels = frame_levels(centred)
    loud = levels >= max(SILENCE_DBFS, float(np.max(levels)) - LOUD_BELOW_PEAK_DB)
    if np.count_nonzero(loud) * FRAME_SECONDS < MIN_CRY_SECONDS - 1e-9:
        return TOO_SHORT
    power = np.square(np.abs(np.fft.rfft(centred.astype(np.float64))))
    high = power[np.fft.rfftfreq(len(centred), 1.0 / SAMPLE_RATE) >= HIGH_BAND_HZ].sum()
    if high <= power.sum() * 10.0 ** (MIN_HIGH_BAND_DB / 10.0):
        return NARROW_BAND
    return ""


def default_threads() -> int:
    """Torch threads: ``$OMP_NUM_THREADS``, else the CPUs this process may use (affinity, cgroup quota), at most 4.

    Containers (Spaces, CI) often show the host's cores but grant two; more threads than granted CPUs
    makes PyTorch's worker threads spin against each other and slows inference many times over.
    """
    if os.environ.get("OMP_NUM_THREADS", "").isdigit() and int(os.environ["OMP_NUM_THREADS"]) > 0:
        return int(os.environ["OMP_NUM_THREADS"])
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cpus = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, min(4, cpus))
