"""The held-out simulator's captures of reference cries, as recordings for :mod:`.recordings`.

Each reference cry (Pokédex id × rendition) gives one capture per SNR target and, optionally, the clean
cry after a 0–1.5 s lead-in at a random level. Every recording draws from its own generator seeded by
(seed, id, rendition, condition), so any subset reproduces the same audio.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .recordings import CAPTURE, Recording, snr_groups

logger = logging.getLogger(__name__)

CLEAN_LEAD_IN = "clean cry after a lead-in"


@dataclass(frozen=True)
class HeldoutPlan:
    """Which cries and conditions the held-out set holds."""

    cries_dir: str | os.PathLike
    ids: list[int]
    renditions: tuple[str, ...] = ("latest", "legacy")
    snr_db: tuple[float, ...] = (20.0, 10.0, 0.0)
    clean_lead_in: bool = True
    seed: int = 0
    pokemon_csv: str | os.PathLike | None = None
    """PokeAPI's ``pokemon.csv``: with it, the alternate forms' own ``latest`` cries too (counted for their species)."""

    def conditions(self) -> list[float | None]:
        """The SNR target of each capture condition; None marks the clean lead-in condition."""
        return list(self.snr_db) + ([None] if self.clean_lead_in else [])


def labels_by_pokedex_id(pokedex: dict, labels: list[str]) -> dict[int, str]:
    """Pokédex id → the model's label name, from the model folder's ``pokedex.json``."""
    mapping = {info.pokedex_id: name for name, info in pokedex.items() if name in labels}
    if not mapping:
        raise ValueError(
            "the model folder has no pokedex.json entries for its labels; the held-out set needs them to map "
            "cry files (<id>.ogg) to labels (train with the project's trainer, or add pokedex.json)"
        )
    return mapping


def generations_by_pokedex_id(pokedex: dict) -> dict[int, int]:
    """Pokédex id → generation, from the model folder's ``pokedex.json`` (entries without one are left out)."""
    return {info.pokedex_id: info.generation for info in pokedex.values() if info.generation}


def _groups(snr: float | None, rendition: str, params: dict) -> dict[str, str]:
    from heldout.simulator import families

    if snr is None:
        return {"condition": CLEAN_LEAD_IN, "rendition": rendition, **snr_groups(None, False)}
    return {"condition": CAPTURE, "snr_target": f"{snr:g} dB", "rendition": rendition, **snr_groups(snr, True),
            **families(params)}


def simulate(plan: HeldoutPlan, cry, k: int, samples: np.ndarray, simulator) -> tuple[np.ndarray, dict]:
    """Recording of ``cry`` (a ``heldout.cries.ReferenceCry``; ``samples`` its audio) in the plan's ``k``-th
    condition, and the parameters drawn for it: from its own generator, so any subset gives the same audio."""
    rng = np.random.default_rng([plan.seed, cry.cry_id, plan.renditions.index(cry.rendition), k])
    snr = plan.conditions()[k]
    return simulator.clean_lead_in(samples, rng) if snr is None else simulator.capture(samples, rng, snr)


def cry_start_seconds(params: dict) -> float:
    """s. Where the cry starts in a recording :func:`simulate` made (its drawn lead-in)."""
    return float(params["placement"]["lead_in_s"] if "placement" in params else params["lead_in_s"])


def heldout_recordings(
    plan: HeldoutPlan, label_of_id: dict[int, str], simulator=None, generation_of_id: dict[int, int] | None = None
) -> Iterator[Recording]:
    """Simulated recordings of every planned cry the model knows (cries it has no label for are skipped).

    ``generation_of_id`` (Pokédex id → generation, e.g. :func:`generations_by_pokedex_id`) adds a ``generation`` group.
    """
    from heldout.cries import form_cries, load_cry, reference_cries
    from heldout.parts import SAMPLE_RATE
    from heldout.simulator import HeldoutSimulator

    simulator = simulator or HeldoutSimulator()
    cries, missing = reference_cries(plan.cries_dir, plan.ids, plan.renditions)
    if missing:
        logger.warning("%d reference cries are missing (%s …)", len(missing), ", ".join(missing[:5]))
    if plan.pokemon_csv is not None and "latest" in plan.renditions:
        forms, no_file, same = form_cries(plan.cries_dir, plan.pokemon_csv, plan.ids)
        logger.info("%d alternate forms with a cry of their own (%d have no file, %d sound like their species or "
                    "another of its forms)", len(forms), no_file, same)
        cries += forms
    unknown = sorted({c.pokedex_id for c in cries if c.pokedex_id not in label_of_id})
    if unknown:
        logger.warning("the model has no label for %d ids (%s …): skipped", len(unknown), unknown[:5])
    for cry in (c for c in cries if c.pokedex_id in label_of_id):
        samples = load_cry(cry.path)
        for k, snr in enumerate(plan.conditions()):
            audio, params = simulate(plan, cry, k, samples, simulator)
            groups = _groups(snr, cry.rendition, params)
            if generation_of_id and generation_of_id.get(cry.pokedex_id):
                groups["generation"] = str(generation_of_id[cry.pokedex_id])
            if plan.pokemon_csv is not None:
                groups["form"] = "alternate form" if cry.form_id else "species' own cry"
            yield Recording(audio, SAMPLE_RATE, label_of_id[cry.pokedex_id], groups)
