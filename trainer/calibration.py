"""Calibration on the validation split: a softmax temperature, then a "not sure" threshold.

Temperature scaling (Guo et al., 2017) divides the logits by one scalar chosen to minimise the
validation negative log-likelihood; it never changes the top-1 guess. The threshold is the lowest
top-1 probability at which the guesses kept on validation reach the stated precision.
"""

from __future__ import annotations

import logging

import numpy as np

from recognizer.model_files import Calibration

logger = logging.getLogger(__name__)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / float(temperature)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the true labels."""
    z = np.asarray(logits, dtype=np.float64) / float(temperature)
    m = z.max(axis=1, keepdims=True)
    log_norm = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    return float(np.mean(log_norm - z[np.arange(len(z)), np.asarray(labels)]))


def fit_temperature(logits: np.ndarray, labels: np.ndarray, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The temperature in ``bounds`` minimising validation NLL (bounded search on log T)."""
    from scipy.optimize import minimize_scalar

    if len(labels) == 0:
        raise ValueError("fit_temperature: no validation examples; expected at least one")
    result = minimize_scalar(
        lambda log_t: nll(logits, labels, np.exp(log_t)),
        bounds=(np.log(bounds[0]), np.log(bounds[1])),
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(np.exp(result.x))


def choose_threshold(
    probs: np.ndarray, labels: np.ndarray, target_precision: float, never_answered: int | None = None,
    fixed: tuple[int, int] = (0, 0),
) -> tuple[float, float, float]:
    """``(threshold, precision, coverage)``: the lowest top-1 probability whose kept guesses reach the precision.

    Guesses with top-1 probability ≥ threshold are answered; coverage is the fraction answered. When no
    threshold reaches the target, returns 1.0 (answer only certainties) with the precision there. A clip whose
    top-1 is class ``never_answered`` (``no_cry``: the app says "not sure") is never an answer, right or not.
    ``fixed`` = (answers, right ones) that the threshold does not decide (labels judged on thresholds of their own:
    enrolled species) and that count in the precision all the same.
    """
    fixed_answers, fixed_right = fixed
    conf, top = probs.max(axis=1), probs.argmax(axis=1)
    correct = top == np.asarray(labels)
    total = len(conf)
    if never_answered is not None:  # out of the ranking altogether; coverage stays a share of every clip
        conf, correct = conf[top != never_answered], correct[top != never_answered]
    order = np.argsort(-conf, kind="stable")
    conf_sorted, correct_sorted = conf[order], correct[order]
    kept = np.arange(1, len(conf) + 1)
    precision = (np.cumsum(correct_sorted) + fixed_right) / (kept + fixed_answers)
    # Only the last index of each run of equal confidences is a realisable cut (ties are kept together).
    last_of_tie = np.r_[conf_sorted[1:] != conf_sorted[:-1], True]
    ok = np.flatnonzero(last_of_tie & (precision >= target_precision))
    if len(ok) == 0:
        logger.warning("no threshold reaches precision %.3f on validation; 'not sure' below 1.0", target_precision)
        answered = conf >= 1.0
        n, right = int(answered.sum()) + fixed_answers, int(correct[answered].sum()) + fixed_right
        return 1.0, right / n if n else 0.0, float(answered.sum() / max(total, 1))
    k = ok[-1]
    return float(conf_sorted[k]), float(precision[k]), float(kept[k] / total)


def calibrate(
    logits: np.ndarray, labels: np.ndarray, target_precision: float = 0.95, label_names: list[str] | None = None
) -> tuple[Calibration, dict]:
    """Fit temperature and threshold on validation logits; also return a before/after report.

    With ``label_names`` holding ``no_cry``, the threshold is chosen as the app answers: never with that class.
    """
    from common.species import NO_CRY_LABEL

    from .metrics import load_metric

    labels = np.asarray(labels)
    temperature = fit_temperature(logits, labels)
    probs = softmax(logits, temperature)
    no_cry = label_names.index(NO_CRY_LABEL) if label_names and NO_CRY_LABEL in label_names else None
    threshold, precision, coverage = choose_threshold(probs, labels, target_precision, no_cry)
    ece = load_metric("expected_calibration_error")
    report = {
        "temperature": temperature,
        "nll_before": nll(logits, labels),
        "nll_after": nll(logits, labels, temperature),
        "ece_before": ece.compute(predictions=softmax(logits), references=labels)["expected_calibration_error"],
        "ece_after": ece.compute(predictions=probs, references=labels)["expected_calibration_error"],
        "threshold": threshold,
        "target_precision": target_precision,
        "validation_precision_at_threshold": precision,
        "validation_coverage_at_threshold": coverage,
    }
    calibration = Calibration(temperature=temperature, threshold=threshold, target_precision=target_precision)
    return calibration, report
