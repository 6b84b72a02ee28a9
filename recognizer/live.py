"""Live listening: name a cry while the microphone streams, from a rolling buffer of the last few seconds.

The browser sends the microphone in small chunks. :class:`LiveListener` keeps the last ``buffer`` seconds
(by default one model window), and every ``hop_seconds`` of new audio runs :meth:`Recognizer.predict` on
it: the same front end (resampling, trimming, loudness), detector and calibrated threshold as ``/predict``.
The cost per listener is bounded: at most one analysis per hop of audio and per call, on one window.

A name is shown only when ``confirmations`` analyses in a row are confident about the same species, and
confident here is stricter than for an upload (``min_confidence``, 0.99, when that is above the calibrated
threshold): live listening answers twice a second, so one unlucky window of talk or music a minute would
be a wrong name every minute. The cry stays in the buffer for several hops, so the confirmation costs one
hop of latency. The analyses that hear the same cry again are one :class:`Detection`, kept at its best
confidence.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from frontend.audio import SAMPLE_RATE, SILENCE_DBFS, int_to_float, to_mono
from frontend.levels import frame_levels
from recognizer.predict import SILENCE, Guess, Prediction, Recognizer

IDLE = "idle"
LISTENING = "listening"
STOPPED = "stopped"


@dataclass(frozen=True)
class LiveConfig:
    """How a listener analyses the stream (defaults: what the app uses)."""

    hop_seconds: float = 0.5
    """s. New audio between two analyses."""
    buffer_seconds: float | None = None
    """s. Audio analysed each time; None: one window of the model (4 s for the trained models)."""
    time_limit_seconds: float = 60.0
    """s. Listening stops by itself after this much audio, or this long after the first chunk (a slow network
    or server delivers less audio than the time that passed)."""
    confirmations: int = 2
    """Confident analyses in a row, on the same species, before a name is shown."""
    min_confidence: float = 0.99
    """An analysis counts as confident when its top probability reaches this or the model's calibrated
    threshold, whichever is higher. The calibrated threshold is chosen for one answer per recording; live
    listening answers twice a second, so it needs a stricter one (benchmarks/bench_live.py: with the
    embedded model at its 0.825, four of five cry-less minutes showed a name)."""

    def __post_init__(self):
        if not self.hop_seconds > 0:
            raise ValueError(f"LiveConfig.hop_seconds: expected > 0 s, got {self.hop_seconds}")
        if self.buffer_seconds is not None and not self.buffer_seconds >= self.hop_seconds:
            raise ValueError(
                f"LiveConfig.buffer_seconds: expected >= hop_seconds ({self.hop_seconds} s), got {self.buffer_seconds}"
            )
        if not self.time_limit_seconds > 0:
            raise ValueError(f"LiveConfig.time_limit_seconds: expected > 0 s, got {self.time_limit_seconds}")
        if self.confirmations < 1:
            raise ValueError(f"LiveConfig.confirmations: expected >= 1, got {self.confirmations}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"LiveConfig.min_confidence: expected a probability in [0, 1], got {self.min_confidence}")


@dataclass(frozen=True)
class Detection:
    """A cry named with confidence: the species, its best probability, when it was heard and named."""

    guess: Guess
    heard_at: float
    """s since listening started. When the first of the analyses that named it ran (just after the cry)."""
    named_at: float
    """s since listening started. How much audio had arrived when the name was first shown."""
    last_seen: float
    """s since listening started. The latest analysis that named it again."""

    @property
    def label(self) -> str:
        return self.guess.label

    @property
    def probability(self) -> float:
        return self.guess.probability


@dataclass
class LiveUpdate:
    """What the page shows after a chunk: the state, the loudness heard, the verdict so far."""

    state: str
    elapsed: float
    """s of audio received since listening started."""
    level_dbfs: float
    """RMS level of the latest chunk (``SILENCE_DBFS`` or less: quiet)."""
    current: Detection | None
    """The latest named cry (at its best confidence), kept after the cry has left the buffer."""
    earlier: list[Detection] = field(default_factory=list)
    """Cries named before ``current`` in this session, latest first."""
    last: Prediction | None = None
    """The latest analysis (for the "listening…" / "not sure" hint); None before the first one."""
    analysed: bool = False
    """Whether this chunk ran an analysis."""


class LiveListener:
    """One listener's rolling buffer and detections; feed it chunks in order (not thread-safe per listener)."""

    def __init__(self, recognizer: Recognizer, config: LiveConfig = LiveConfig(), clock: Callable[[], float] = time.monotonic):
        self.recognizer = recognizer
        self.config = config
        self._clock = clock
        self._started_at: float | None = None
        self.sample_rate: int | None = None
        self._buffer = np.zeros(0, np.float32)
        self._received = 0  # samples since the start, at sample_rate
        self._since_analysis = 0
        self._streak: tuple[str, int, float] = ("", 0, 0.0)  # label, confident analyses in a row, first one
        self.detections: list[Detection] = []
        self.last: Prediction | None = None
        self.stopped = False
        self.analyses = 0

    @property
    def elapsed(self) -> float:
        """s of audio received."""
        return self._received / self.sample_rate if self.sample_rate else 0.0

    @property
    def state(self) -> str:
        if self.stopped:
            return STOPPED
        return LISTENING if self._received else IDLE

    def stop(self) -> LiveUpdate:
        """Stop listening (the user pressed stop); the detections stay."""
        self.stopped = True
        return self.update(SILENCE_DBFS - 1.0, analysed=False)

    def feed(self, samples: np.ndarray, sample_rate: int) -> LiveUpdate:
        """Add a chunk (any rate; mono, (n, ch) or (ch, n); float or integer PCM); analyse when a hop is due."""
        if self._started_at is None:
            self._started_at = self._clock()
        if self.stopped:
            return self.update(SILENCE_DBFS - 1.0, analysed=False)
        chunk = to_mono(int_to_float(samples))
        sample_rate = int(sample_rate)
        if sample_rate <= 0:
            raise ValueError(f"live chunk: expected a positive sample rate, got {sample_rate}")
        if self.sample_rate is None:
            self.sample_rate = sample_rate
        elif sample_rate != self.sample_rate:  # the browser changed devices: continue at the new rate
            self._received = round(self._received * sample_rate / self.sample_rate)
            self._buffer = np.zeros(0, np.float32)
            self._since_analysis = 0
            self.sample_rate = sample_rate
        limit = round(self.config.time_limit_seconds * sample_rate)
        chunk = chunk[: max(0, limit - self._received)]
        level = float(np.max(frame_levels(chunk, max(1, sample_rate // 50)))) if len(chunk) else SILENCE_DBFS - 1.0
        self._received += len(chunk)
        self._since_analysis += len(chunk)
        keep = round(self._buffer_seconds() * sample_rate)
        self._buffer = np.concatenate([self._buffer, chunk])[-keep:]
        done = self._received >= limit or self._clock() - self._started_at >= self.config.time_limit_seconds
        due = self._since_analysis >= round(self.config.hop_seconds * sample_rate) or (done and self._since_analysis > 0)
        if due:
            self._since_analysis = 0
            self._take(self.recognizer.predict(self._buffer, self.sample_rate), self.elapsed)
        if done:
            self.stopped = True
        return self.update(level, due)

    def update(self, level_dbfs: float, analysed: bool) -> LiveUpdate:
        """The listener's state as the page shows it."""
        current = self.detections[-1] if self.detections else None
        earlier = self.detections[-2::-1]
        return LiveUpdate(self.state, self.elapsed, level_dbfs, current, earlier, self.last, analysed)

    def _buffer_seconds(self) -> float:
        return self.config.buffer_seconds or self.recognizer.window / SAMPLE_RATE

    def _take(self, prediction: Prediction, now: float) -> None:
        """Update the streak and the detections with an analysis of the audio up to ``now`` (s)."""
        self.analyses += 1
        self.last = prediction
        if prediction.not_sure or prediction.top is None or prediction.confidence < self.config.min_confidence:
            self._streak = ("", 0, now)
            return
        top = prediction.top
        label, count, first = self._streak
        self._streak = (top.label, count + 1, first) if label == top.label else (top.label, 1, now)
        latest = self.detections[-1] if self.detections else None
        if latest and latest.label == top.label and now - latest.last_seen <= self._buffer_seconds():
            best = top if top.probability > latest.probability else latest.guess
            self.detections[-1] = replace(latest, guess=best, last_seen=now)
        elif self._streak[1] >= self.config.confirmations:
            self.detections.append(Detection(top, self._streak[2], now, now))

    def as_prediction(self, detection: Detection) -> Prediction:
        """A detection as a :class:`Prediction` (to render it like an upload's answer)."""
        return Prediction([detection.guess], False, "", self.recognizer.threshold)


def is_silence(prediction: Prediction | None) -> bool:
    """Whether the latest analysis heard nothing at all."""
    return prediction is not None and prediction.reason == SILENCE
