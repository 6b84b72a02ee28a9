"""Macro-averaged F1: the unweighted mean of per-class F1, so rare species count as much as common ones."""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = "Unweighted mean over classes of the F1 score (harmonic mean of precision and recall)."
_KWARGS = """
Args:
    predictions (list of int): predicted class indices.
    references (list of int): true class indices.
    labels (list of int, optional): classes to average over; default: every class seen in either list.
Returns:
    macro_f1 (float): in [0, 1]; a class with no true and no predicted example scores 0 (as scikit-learn does).
"""


class MacroF1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}),
        )

    def _compute(self, predictions, references, labels=None):
        predictions, references = np.asarray(predictions), np.asarray(references)
        if predictions.size == 0:
            raise ValueError("macro_f1: no predictions; expected at least one")
        classes = np.unique(np.concatenate([predictions, references])) if labels is None else np.asarray(labels)
        f1 = []
        for c in classes:
            tp = np.sum((predictions == c) & (references == c))
            fp = np.sum((predictions == c) & (references != c))
            fn = np.sum((predictions != c) & (references == c))
            f1.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
        return {"macro_f1": float(np.mean(f1))}
