"""Expected calibration error: how far the top-1 confidence is from the top-1 accuracy, on average."""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = (
    "ECE = sum over equal-width confidence bins of (bin size / n) * |accuracy(bin) - mean confidence(bin)|, "
    "using the top-1 probability as the confidence (Guo et al., 2017)."
)
_KWARGS = """
Args:
    predictions (list of list of float): class probabilities for each example (rows sum to 1).
    references (list of int): true class indices.
    n_bins (int): number of equal-width confidence bins on [0, 1] (default 15).
Returns:
    expected_calibration_error (float): in [0, 1]; 0 means perfectly calibrated.
"""


class ExpectedCalibrationError(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS,
            features=datasets.Features(
                {"predictions": datasets.Sequence(datasets.Value("float32")), "references": datasets.Value("int64")}
            ),
        )

    def _compute(self, predictions, references, n_bins=15):
        probs, references = np.asarray(predictions, dtype=np.float64), np.asarray(references)
        if probs.ndim != 2 or probs.shape[0] == 0:
            raise ValueError(f"expected_calibration_error: expected an (n, n_classes) probability matrix, got {probs.shape}")
        if not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3):
            raise ValueError("expected_calibration_error: rows must be probabilities summing to 1 (apply a softmax)")
        confidence = probs.max(axis=1)
        correct = probs.argmax(axis=1) == references
        # Bin i holds confidences in (i/n, (i+1)/n]; a confidence of exactly 0 falls in bin 0.
        bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
        ece = 0.0
        for b in range(n_bins):
            mask = bins == b
            if mask.any():
                ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
        return {"expected_calibration_error": float(ece)}
