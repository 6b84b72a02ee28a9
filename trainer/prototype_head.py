"""A cosine head whose rows are the classes' clean-reference prototypes, refreshed as the backbone trains.

Enrolment names a new sound by the prototype of its clean reference recordings, but a trained row is not its
class's prototype: it is wherever training put it, so a prototype row either outbids the trained ones or goes
unheard (docs/README_model.md: the held-out-generation runs). Training with the rows *tied* to the prototypes (prototypical
networks, Snell et al. 2017; weight imprinting, Qi et al. 2018) teaches the backbone what enrolment needs: every
capture of a sound lands near the mean embedding of that sound's clean references. Every ``every`` optimiser
steps, and at the start, each class with clean training clips (``condition`` clean) gets as its row the
normalised mean of their embeddings at the cosine head's length; the optimiser never moves those rows (their
gradient is masked), while classes without references (``no_cry``) keep a trained row. The saved folder is an
ordinary AST.
"""

from __future__ import annotations

import logging

import torch
from transformers import TrainerCallback

from .cosine_head import row_length

logger = logging.getLogger(__name__)


@torch.no_grad()
def reference_embeddings(model, references, collator, batch_size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """Per class: the sum of the head's inputs (layer-normed pooled embeddings) over ``references``, and how many."""
    classes, width = model.classifier.dense.out_features, model.classifier.dense.in_features
    sums, counts = torch.zeros(classes, width), torch.zeros(classes)
    for start in range(0, len(references), batch_size):
        batch = collator([references[i] for i in range(start, min(start + batch_size, len(references)))])
        pooled = model.audio_spectrogram_transformer(batch["input_values"].to(model.device)).pooler_output
        embedding = model.classifier.layernorm(pooled).float().cpu()
        sums.index_add_(0, batch["labels"], embedding)
        counts.index_add_(0, batch["labels"], torch.ones(len(embedding)))
    return sums, counts


@torch.no_grad()
def set_prototype_rows(classifier, sums: torch.Tensor, counts: torch.Tensor, scale: float) -> torch.Tensor:
    """Set the row of every class with references to its prototype's direction at the cosine length; which rows."""
    rows = counts > 0
    directions = sums[rows] / sums[rows].norm(dim=1, keepdim=True).clamp_min(1e-12)
    weight = classifier.dense.weight
    weight[rows.to(weight.device)] = (directions * row_length(classifier, scale)).to(weight.dtype).to(weight.device)
    return rows


class PrototypeHeadCallback(TrainerCallback):
    """Refreshes the prototype rows at the start and every ``every`` steps; masks their gradient in between."""

    def __init__(self, model, references, collator, scale: float, every: int, batch_size: int = 32):
        if len(references) == 0:
            raise ValueError("--prototype-head-every: the train split has no clean clips; expected rows with "
                             "condition 'clean' (each class's reference recordings)")
        self.model, self.references, self.collator = model, references, collator
        self.scale, self.every, self.batch_size = float(scale), int(every), int(batch_size)
        self.mask = torch.ones(model.classifier.dense.out_features, 1)
        model.classifier.dense.weight.register_hook(lambda grad: grad * self.mask.to(grad.device, grad.dtype))

    def refresh(self) -> None:
        """Recompute every referenced class's prototype with the current backbone and make it that class's row."""
        training = self.model.training
        self.model.eval()
        try:
            sums, counts = reference_embeddings(self.model, self.references, self.collator, self.batch_size)
            rows = set_prototype_rows(self.model.classifier, sums, counts, self.scale)
        finally:
            self.model.train(training)
        self.mask = (~rows).float()[:, None]
        logger.info("prototype head: %d rows set from %d clean clips", int(rows.sum()), len(self.references))

    def on_train_begin(self, args, state, control, **kwargs):
        self.refresh()

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step % self.every == 0:
            self.refresh()
