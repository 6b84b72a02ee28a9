"""Fold the calibration temperature into the classifier head, so every path reports the same confidence.

``softmax(logits / T)`` is the calibrated probability. The head's last layer is linear
(``logits = W x + b``), so ``W / T`` and ``b / T`` give ``logits / T`` directly: after folding,
``transformers.pipeline("audio-classification", model=DIR)``'s plain softmax, the app and the evaluator all
report the calibrated probabilities, and ``calibration.json`` stores temperature 1.0. The answer (argmax) and
the threshold do not change. Folding twice is safe: a refitted temperature folds on top of the first.

    python -m recognizer.calibrated_head MODEL_DIR
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

from recognizer.model_files import load_calibration, save_calibration


def final_linear(model):
    """The classifier's last ``nn.Linear`` (``ASTForAudioClassification.classifier.dense``)."""
    import torch

    head = getattr(model, "classifier", None)
    layers = [m for m in head.modules() if isinstance(m, torch.nn.Linear)] if head is not None else []
    if not layers:
        raise ValueError(f"{type(model).__name__}: no linear layer in model.classifier to fold a temperature into")
    return layers[-1]


def fold_temperature(model, temperature: float):
    """Divide the final classifier layer's weight and bias by ``temperature`` (in place); returns ``model``."""
    import torch

    if not temperature > 0:
        raise ValueError(f"fold_temperature: the temperature must be > 0, got {temperature}")
    layer = final_linear(model)
    with torch.no_grad():
        layer.weight.div_(float(temperature))
        if layer.bias is not None:
            layer.bias.div_(float(temperature))
    return model


def fold_into_folder(model_dir: str | os.PathLike) -> float:
    """Fold ``calibration.json``'s temperature into the saved model and store temperature 1.0.

    Returns the temperature folded (1.0: nothing to do). The weights keep their dtype on disk.
    """
    from transformers import ASTForAudioClassification

    directory = Path(model_dir)
    calibration = load_calibration(directory)
    temperature = float(calibration.temperature)
    if temperature == 1.0:
        return 1.0
    model = ASTForAudioClassification.from_pretrained(directory)
    dtype = model.dtype
    fold_temperature(model.float(), temperature).to(dtype).save_pretrained(directory)
    save_calibration(directory, dataclasses.replace(calibration, temperature=1.0))
    return temperature


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir", help="a model folder written by the trainer (config.json, calibration.json)")
    args = parser.parse_args(argv)
    folded = fold_into_folder(args.model_dir)
    print(f"{args.model_dir}: " + (f"temperature {folded:.4f} folded into the classifier head; calibration.json "
                                   "now stores 1.0" if folded != 1.0 else "temperature already 1.0, nothing to fold"))


if __name__ == "__main__":
    main()
