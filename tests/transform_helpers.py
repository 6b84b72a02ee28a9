"""Helpers for the one-file-per-transform tests: pin drawn parameters, check the output contract."""

from __future__ import annotations

import numpy as np


def fixed(transform, **parameters):
    """Draw, then pin some parameters (what a test wants to measure)."""
    transform.randomize_parameters(np.random.default_rng(0))
    transform.parameters.update(parameters)
    return transform


def sane(x, n=None):
    """``x`` is finite float32 (of length ``n`` when given); returned for chaining."""
    assert x.dtype == np.float32 and np.all(np.isfinite(x))
    if n is not None:
        assert len(x) == n
    return x
