"""A cosine classifier kept in the ordinary AST head, so the model stays a plain ``ASTForAudioClassification``.

AST's head is a layer norm and a linear layer. With the layer norm's affine part fixed at identity (weight 1,
bias 0), its output always has length √d (zero mean, unit variance over d features); with every row of the
linear layer at one length ``scale / √d`` and no bias, a logit is ``scale · cos(row, embedding)``. Training keeps
it that way: the three fixed tensors do not train, and the rows are put back on their sphere after every
optimiser step. Such a head makes the embedding the thing that is learnt (NormFace, Wang et al. 2017): a class
is a direction, and never-trained sounds land apart from the trained ones (docs/README_model.md: the held-out-generation
run). The saved folder needs nothing new: ``pipeline()`` and the app load it as is.
"""

from __future__ import annotations

import math

import torch
from transformers import TrainerCallback


def row_length(classifier, scale: float) -> float:
    """The length every row is kept at: ``scale / √d`` (``d``: the embedding width)."""
    return float(scale) / math.sqrt(classifier.dense.in_features)


@torch.no_grad()
def project_rows(classifier, scale: float) -> None:
    """Put every row of the head's linear layer back at length ``scale / √d`` (its direction kept)."""
    weight = classifier.dense.weight
    norms = weight.norm(dim=1, keepdim=True).clamp_min(1e-12)
    weight.mul_(row_length(classifier, scale) / norms)


@torch.no_grad()
def make_cosine(classifier, scale: float) -> None:
    """Turn an AST head (``layernorm`` + ``dense``) into a cosine classifier with logit scale ``scale``.

    The layer norm's affine part and the linear bias are set to identity / zero and frozen; the rows keep their
    directions (a trained head's classes are kept) at the common length.
    """
    if not scale > 0:
        raise ValueError(f"cosine head scale {scale}: expected a positive logit scale (e.g. 16)")
    norm = classifier.layernorm
    if norm.weight is None or norm.bias is None:
        raise ValueError("the head's layer norm has no affine weights; expected AST's ASTMLPHead")
    for tensor, value in ((norm.weight, 1.0), (norm.bias, 0.0), (classifier.dense.bias, 0.0)):
        tensor.fill_(value)
        tensor.requires_grad_(False)
    project_rows(classifier, scale)


def cosine_row_length(classifier, atol: float = 1e-4) -> float | None:
    """The common row length when the head is a cosine classifier (identity layer norm, no bias, every row of one
    length), else None. A folded temperature rescales every row alike, so it stays one."""
    norm, dense = classifier.layernorm, classifier.dense
    if norm.weight is None or norm.bias is None:
        return None
    lengths = dense.weight.detach().norm(dim=1)
    identity = (torch.allclose(norm.weight.detach(), torch.ones_like(norm.weight), atol=atol)
                and torch.allclose(norm.bias.detach(), torch.zeros_like(norm.bias), atol=atol)
                and torch.allclose(dense.bias.detach(), torch.zeros_like(dense.bias), atol=atol))
    length = float(lengths.mean())
    same = torch.allclose(lengths, torch.full_like(lengths, length), rtol=1e-4, atol=atol)
    return length if identity and same else None


def is_cosine(classifier, scale: float | None = None) -> bool:
    """Whether the head is a cosine classifier (its rows ``scale / √d`` long when ``scale`` is given)."""
    length = cosine_row_length(classifier)
    return length is not None and (scale is None or math.isclose(length, row_length(classifier, scale), rel_tol=1e-4))


class CosineHeadCallback(TrainerCallback):
    """Keeps the head a cosine classifier: rows back on their sphere at the start and after every step."""

    def __init__(self, classifier, scale: float):
        self.classifier = classifier
        self.scale = float(scale)

    def on_train_begin(self, args, state, control, **kwargs):
        project_rows(self.classifier, self.scale)

    def on_step_end(self, args, state, control, **kwargs):
        project_rows(self.classifier, self.scale)
