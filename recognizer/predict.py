"""Name the Pokémon in a recording, with calibrated probabilities and an honest "not sure".

How a recording becomes an answer (:meth:`Recognizer.predict`):

1. Resample to 16 kHz mono, trim silence, cut windows the size of the model's input and normalise each
   window's loudness (:mod:`frontend.windows`). No sound at all: "not sure" (silence).
2. Describe each window with the heuristics of :mod:`recognizer.detect` (noise, speech, or cry-like).
3. Score all windows in one batch; probabilities are ``softmax(logits / temperature)`` from
   ``calibration.json``.
4. Answer with the **most confident cry-like window**. A cry is short and usually heard once; averaging
   over a 10 s recording would dilute it with the talk or music around it and turn a clear cry into a
   "not sure". Taking the maximum is slightly optimistic on recordings without a cry, which is what the
   detector and the calibrated threshold are for.
5. "Not sure" when no window is cry-like, the top species is the model's optional ``no_cry`` class, or
   the top probability is under the calibrated threshold.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.species import Species
from frontend.audio import SAMPLE_RATE, int_to_float, resample, to_mono
from frontend.fbank import window_samples
from frontend.windows import find_windows
from recognizer.detect import CRY, DetectorConfig, check_sound
from recognizer.loading import ModelBundle, load_model
from recognizer.recording import read_recording

NOT_SURE_MESSAGE = "Not sure — try again closer to the speaker"
NO_CRY_LABEL = "no_cry"
"""A model may have a class for "no cry" (noise, speech, music); it is never shown as a species."""

SILENCE = "silence"
LOW_CONFIDENCE = "low_confidence"
REASONS = {
    "": "",
    SILENCE: "The recording is silent.",
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


class Recognizer:
    """A loaded model plus the recording pipeline; thread-safe for concurrent ``predict`` calls."""

    def __init__(self, bundle: ModelBundle, detector: DetectorConfig | None = None, threads: int | None = None):
        import torch

        self.bundle = bundle
        self.detector = detector or DetectorConfig()
        torch.set_num_threads(threads or default_threads())
        self.window = window_samples(int(bundle.feature_extractor.max_length))

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

    def predict(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE, top_k: int = 5) -> Prediction:
        """Name the Pokémon in ``samples`` (any rate; mono, (n, ch) or (ch, n); float or integer PCM)."""
        samples = to_mono(int_to_float(samples))
        if sample_rate != SAMPLE_RATE:
            samples = resample(samples, sample_rate, SAMPLE_RATE)
        windows = find_windows(samples, self.window)
        if not windows:
            return Prediction([], True, SILENCE, self.threshold)
        kinds = [check_sound(w.samples, self.detector).kind for w in windows]
        probs = self._probabilities([w.samples for w in windows])
        cry_like = [i for i, kind in enumerate(kinds) if kind == CRY]
        candidates = cry_like or list(range(len(windows)))
        best = max(candidates, key=lambda i: float(self._species_probs(probs[i]).max()))
        guesses = self._top(probs[best], top_k)
        reason = ""
        if not cry_like:
            reason = Counter(kinds).most_common(1)[0][0]
        elif NO_CRY_LABEL in self.bundle.labels and int(np.argmax(probs[best])) == self.bundle.labels.index(NO_CRY_LABEL):
            reason = NO_CRY_LABEL
        elif guesses[0].probability < self.threshold:
            reason = LOW_CONFIDENCE
        return Prediction(
            guesses, bool(reason), reason, self.threshold, windows[best].start_seconds, len(windows), dict(Counter(kinds))
        )

    def _probabilities(self, windows: list[np.ndarray]) -> np.ndarray:
        """Calibrated class probabilities, one row per window (one batch)."""
        import torch

        extractor = self.bundle.feature_extractor
        inputs = extractor(windows, sampling_rate=SAMPLE_RATE, return_tensors="pt")
        with torch.inference_mode():
            logits = self.bundle.model(input_values=inputs["input_values"]).logits.float()
        temperature = max(float(self.bundle.calibration.temperature), 1e-3)
        return torch.softmax(logits / temperature, dim=-1).numpy()

    def _species_probs(self, probs: np.ndarray) -> np.ndarray:
        if NO_CRY_LABEL in self.bundle.labels:
            probs = probs.copy()
            probs[self.bundle.labels.index(NO_CRY_LABEL)] = -1.0
        return probs

    def _top(self, probs: np.ndarray, k: int) -> list[Guess]:
        order = np.argsort(-self._species_probs(probs))
        labels = self.bundle.labels
        picked = [i for i in order if labels[i] != NO_CRY_LABEL][:k]
        return [Guess(labels[i], float(probs[i]), self.bundle.pokedex.get(labels[i])) for i in picked]


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
