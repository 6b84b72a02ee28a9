"""Leak-free splits: which variants of which original go to train, validation and test.

Every original cry (one species, one rendition, or an alternate form's cry) appears in every split: a clean copy
in each, plus its ``variants_per_cry`` augmented/capture variants shared out by :meth:`SplitPolicy.counts` (70/15/15
by default). What keeps test honest is everything *around* the cry: each variant draws from a random stream
of its own, seeded by (seed, split, cry id, rendition, index), where the cry id is the Pokédex id or a form's
PokeAPI pokemon id, so no stream is shared between splits or between cries,
and the :class:`~dataset_builder.variants.VariantMaker` picks backgrounds and rooms from the pool of the split
it is given (pools are disjoint). ``holdout_rendition`` puts every variant of one rendition in test only.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .schema import SPLITS, CryRef

NO_CRY_ID = 0
"""Pokédex id of the ``no_cry`` class's rows (no species has it)."""
NO_CRY_RENDITION = "none"


@dataclass(frozen=True)
class VariantJob:
    """One row to make: which original, which split, which condition, which index within that split."""

    pokedex_id: int
    rendition: str
    split: str
    index: int
    """0 is the clean copy; 1.. are the augmented/capture variants of this split."""
    condition: str
    form_id: int = 0
    """An alternate form's PokeAPI pokemon id (its cry is another original of the species); 0: the species' own."""

    @property
    def cry_id(self) -> int:
        """Which cry: the form's id, else the Pokédex id (the PokeAPI pokemon id of the species' default form)."""
        return self.form_id or self.pokedex_id

    def entropy(self, seed: int) -> tuple[int, ...]:
        """The random stream's identity: independent of process count and of build order."""
        return (seed, SPLITS.index(self.split), self.cry_id, zlib.crc32(self.rendition.encode()), self.index)

    def rng(self, seed: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(self.entropy(seed)))


@dataclass
class SplitPolicy:
    """How each original's variants are shared out."""

    variants_per_cry: int = 25
    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    capture_fraction: float = 0.6
    holdout_rendition: str | None = None
    no_cry_variants: int = 0

    def counts(self, rendition: str) -> dict[str, int]:
        """Augmented + capture variants per split for one original of ``rendition``."""
        if rendition == self.holdout_rendition:
            return {"train": 0, "validation": 0, "test": self.variants_per_cry}
        return self._shares(self.variants_per_cry)

    def _shares(self, n: int) -> dict[str, int]:
        val = int(np.floor(n * self.validation_fraction + 0.5))
        test = int(np.floor(n * self.test_fraction + 0.5))
        return {"train": max(n - val - test, 0), "validation": val, "test": n - max(n - val - test, 0) - val}

    def conditions(self, count: int) -> list[str]:
        """Conditions of variants 1..count of a split: ``capture`` for a ``capture_fraction`` share, spread evenly."""
        n_capture = int(np.floor(count * self.capture_fraction + 0.5))
        # Bresenham-style spreading: variant k is capture when the running share crosses an integer.
        return ["capture" if ((k + 1) * n_capture) // count > (k * n_capture) // count else "augmented" for k in range(count)]

    def jobs(self, ref: CryRef) -> list[VariantJob]:
        """Every row one original contributes, in split order."""
        splits = ("test",) if ref.rendition == self.holdout_rendition else SPLITS
        counts = self.counts(ref.rendition)
        out = []
        for split in splits:
            out.append(VariantJob(ref.species.pokedex_id, ref.rendition, split, 0, "clean", ref.form_id))
            for k, condition in enumerate(self.conditions(counts[split]), start=1):
                out.append(VariantJob(ref.species.pokedex_id, ref.rendition, split, k, condition, ref.form_id))
        return out

    def no_cry_jobs(self) -> list[VariantJob]:
        """The ``no_cry`` class's rows (Pokédex id 0, rendition ``none``): captures only, shared out by the same fractions."""
        counts = self._shares(self.no_cry_variants)
        return [VariantJob(NO_CRY_ID, NO_CRY_RENDITION, split, k, "capture")
                for split in SPLITS for k in range(1, counts[split] + 1)]

    def plan(self, refs: Sequence[CryRef]) -> list[VariantJob]:
        return [job for ref in refs for job in self.jobs(ref)]

    def describe(self) -> str:
        """The policy in words, for the dataset card."""
        c = self.counts("")
        text = (
            f"Each original cry (one species, one rendition) gives a clean copy to each split plus "
            f"{self.variants_per_cry} augmented/capture variants: {c['train']} in train, {c['validation']} in "
            f"validation, {c['test']} in test (fractions {1 - self.validation_fraction - self.test_fraction:.2f}/"
            f"{self.validation_fraction:.2f}/{self.test_fraction:.2f}); about {self.capture_fraction:.0%} of the variants "
            "go through the full capture chain (loudspeaker, room, microphone, codec), the rest through the four "
            "augmentation families only. The cry itself is in every split: test measures robustness to what is around "
            "it, not to unseen cries. Every variant draws from its own random stream, seeded by "
            "(seed, split, cry id, rendition, index); background recordings and simulated rooms come from "
            "per-split pools, so none used in train appears in validation or test."
        )
        if self.no_cry_variants:
            c = self._shares(self.no_cry_variants)
            text += (
                f" A `no_cry` class holds {self.no_cry_variants} recordings without a cry ({c['train']} / "
                f"{c['validation']} / {c['test']}): a 0.5-3 s stretch of the split's own background sounds (music, "
                "talk, noise) stands where a cry would be, and goes through the same capture chain."
            )
        if self.holdout_rendition:
            text += (
                f" Rendition `{self.holdout_rendition}` is held out: its clean copy and all {self.variants_per_cry} "
                "of its variants are in test only, so test also measures generalisation to another game's cry."
            )
        return text
