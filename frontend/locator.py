"""The cry locator: where in a recording the cry starts, learned, for the first window to start there.

Under a phone's AGC the background between sounds is pumped up to about the cry's level, so a level rule (the
first frame within ``onset_below_peak_db`` of the loudest) fires at the start of the recording and the cry sits
anywhere in the window. The locator is a small network over the recording's filterbank that gives every 10 ms
frame a logit; the cry starts at the highest. Two architectures (a file's config names its ``kind``):
``dilated_conv`` (the default: two 1-D convolutions and residual blocks of dilated convolutions, seeing about
±1.3 s around each frame, about 160 k weights, one pass over all frames at once) and ``gru`` (the same two
convolutions and a bidirectional GRU, which runs frame by frame: recipe 4's). The convolutions get one more input
channel, 1 inside the recording and 0 outside (their zero padding is otherwise an ordinary sound at each band's
mean, and a cry at the very start of a clip, as in the dataset's clean clips, would have no edge to start at), and
every layer's output is zeroed outside it, so a recording gets the same logits alone as in a padded training batch. Its input has each mel band's mean over the
recording removed (a static filter such as a loudspeaker's colouration cancels) and one scale for the level.
``trainer.cry_locator`` trains it from the builder's captures, whose recipes say where each cry starts; a model
folder carries it as ``cry_locator.safetensors`` and :func:`find_windows <frontend.windows.find_windows>` starts
the first window at its onset, in training and in the app alike.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from .fbank import FRAMES_PER_SECOND

LOCATOR_FILE = "cry_locator.safetensors"
"""A model folder's cry locator (absent: the level rule alone)."""

LOCATOR_MELS = 64
"""Mel bands of the locator's filterbank (the model's own extractor settings otherwise)."""


def locator_features(fbank: np.ndarray) -> np.ndarray:
    """``(frames, mels)`` natural-log mel power → the locator's input: each band's mean over the recording
    removed, then divided by one standard deviation over all of it."""
    x = np.asarray(fbank, dtype=np.float32)
    x = x - x.mean(axis=0, keepdims=True)
    return (x / (x.std() + 1e-5)).astype(np.float32)


KINDS = ("dilated_conv", "gru")
"""The locator architectures :func:`build_network` knows (a file without a ``kind`` is a ``gru``, recipe 4's)."""

DILATIONS = (1, 2, 4, 8, 16, 32, 64)
"""frames. The dilated convolutions' dilations: kernel 3 each, about ±1.3 s of context around a frame."""


def build_network(n_mels: int = LOCATOR_MELS, channels: int = 64, hidden: int = 32, kind: str = "gru",
                  dilations: tuple[int, ...] | list[int] = DILATIONS):
    """The locator's network: features ``(batch, frames, mels)`` and optionally a mask ``(batch, frames)`` (True
    inside each recording, for a batch padded to its longest) → frame logits ``(batch, frames)``.

    ``kind`` is one of :data:`KINDS`; ``hidden`` is the GRU's size, ``dilations`` the dilated convolutions'.
    """
    import torch
    from torch import nn

    if kind not in KINDS:
        raise ValueError(f"cry locator kind {kind!r}: expected one of {', '.join(KINDS)}")

    class Residual(nn.Module):
        def __init__(self, dilation: int):
            super().__init__()
            self.dilated = nn.Conv1d(channels, channels, 3, dilation=dilation, padding=dilation)
            self.mix = nn.Conv1d(channels, channels, 1)

        def forward(self, h, inside):
            return torch.relu(h + self.mix(torch.relu(self.dilated(h)) * inside)) * inside

    class LocatorNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            if kind == "gru":
                self.conv = nn.Sequential(
                    nn.Conv1d(n_mels, channels, 5, padding=2), nn.ReLU(),
                    nn.Conv1d(channels, channels, 5, padding=2), nn.ReLU(),
                )
                self.gru = nn.GRU(channels, hidden, batch_first=True, bidirectional=True)
                self.out = nn.Linear(2 * hidden, 1)
            else:  # every layer's output is zeroed outside the recording, so a padded batch gives what one alone does
                self.inputs = nn.ModuleList([nn.Conv1d(n_mels + 1, channels, 5, padding=2),
                                             nn.Conv1d(channels, channels, 5, padding=2)])
                self.blocks = nn.ModuleList(Residual(int(d)) for d in dilations)
                self.out = nn.Linear(channels, 1)

        def forward(self, x, mask=None):
            if kind == "gru":
                h, _ = self.gru(self.conv(x.transpose(1, 2)).transpose(1, 2))
                return self.out(h).squeeze(-1)
            inside = (x.new_ones(x.shape[:2]) if mask is None else mask.to(x.dtype))[:, None, :]
            h = torch.cat([x.transpose(1, 2), inside], dim=1)
            for layer in self.inputs:
                h = torch.relu(layer(h)) * inside
            for block in self.blocks:
                h = block(h, inside)
            return self.out(h.transpose(1, 2)).squeeze(-1)

    return LocatorNetwork()


class CryLocator:
    """A trained locator: :meth:`onset_seconds` says where in a 16 kHz recording the cry starts."""

    def __init__(self, network, config: dict):
        network.eval()
        self.network, self.config = network, dict(config)
        self.digest = weights_digest(network)  # names these weights: the trainer's feature cache keys on it
        self._extractor = None

    @classmethod
    def load(cls, path: str | os.PathLike) -> CryLocator:
        """Read a locator file (ValueError naming the file when it is not one)."""
        from safetensors import SafetensorError, safe_open

        path = Path(path)
        try:
            with safe_open(str(path), framework="pt") as f:
                config = json.loads((f.metadata() or {})["config"])
                state = {k: f.get_tensor(k) for k in f.keys()}
        except (OSError, KeyError, ValueError, SafetensorError) as e:
            raise ValueError(f"cry locator {path}: unreadable ({e}); expected a file written by trainer.cry_locator") from e
        try:
            network = build_network(**config)
            network.load_state_dict(state)
        except (TypeError, ValueError, RuntimeError) as e:
            raise ValueError(f"cry locator {path}: its config {config} does not fit its weights ({e}); expected a file "
                             "written by trainer.cry_locator") from e
        return cls(network, config)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the locator (atomically); the path."""
        from safetensors.torch import save_file

        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        state = {k: v.detach().contiguous() for k, v in self.network.state_dict().items()}
        save_file(state, str(tmp), metadata={"config": json.dumps(self.config)})
        tmp.replace(path)
        return path

    def frame_logits(self, samples: np.ndarray) -> np.ndarray:
        """One logit per 10 ms filterbank frame of ``samples`` (16 kHz mono)."""
        import torch

        from .fbank import compute_fbank, make_extractor

        if self._extractor is None:
            self._extractor = make_extractor(int(self.config.get("n_mels", LOCATOR_MELS)))
        fb = compute_fbank(samples, self._extractor)
        if len(fb) == 0:
            return np.zeros(0, dtype=np.float32)
        with torch.no_grad():
            return self.network(torch.from_numpy(locator_features(fb))[None])[0].numpy()

    def onset_seconds(self, samples: np.ndarray) -> float:
        """s. Where the cry starts (the start of the highest-scoring frame; 0 for audio too short for a frame)."""
        logits = self.frame_logits(samples)
        return float(np.argmax(logits)) / FRAMES_PER_SECOND if len(logits) else 0.0


def weights_digest(network) -> str:
    """A short hash of a network's weights, in state-dict order."""
    h = hashlib.sha256()
    for name, tensor in network.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def load_locator(model_dir: str | os.PathLike) -> CryLocator | None:
    """The locator a model folder carries (:data:`LOCATOR_FILE`); None when it has none."""
    path = Path(model_dir) / LOCATOR_FILE
    return CryLocator.load(path) if path.is_file() else None
