"""Which species and renditions a build covers: ``--ids 1-151,250``, ``--generations 1,2``, ``--renditions``."""

from __future__ import annotations

from collections.abc import Sequence

from .schema import Species

GENERATION_LAST_ID = {1: 151, 2: 251, 3: 386, 4: 493, 5: 649, 6: 721, 7: 809, 8: 905, 9: 1025}
"""National Pokédex number of the last species each generation introduced (used when a source lacks it)."""

MAX_POKEDEX_ID = GENERATION_LAST_ID[max(GENERATION_LAST_ID)]


class SelectionError(ValueError):
    """A selection flag names something that does not exist."""


def generation_of(pokedex_id: int) -> int:
    """Generation that introduced a national Pokédex number (0 when beyond the known ones)."""
    for gen, last in sorted(GENERATION_LAST_ID.items()):
        if pokedex_id <= last:
            return gen
    return 0


def parse_ids(spec: str | None) -> list[int] | None:
    """``"1-151,250"`` → sorted unique ids; ``None``/``""``/``"all"`` → ``None`` (no restriction)."""
    if spec is None or not str(spec).strip() or str(spec).strip().lower() == "all":
        return None
    ids: set[int] = set()
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            start, end = int(lo), int(hi) if sep else int(lo)
        except ValueError:
            raise SelectionError(
                f"--ids: {part!r} is not an id or a range; expected e.g. '1-151,250' (national Pokédex numbers)"
            ) from None
        if start < 1 or end < start:
            raise SelectionError(f"--ids: {part!r} is not a valid range; expected 1 <= start <= end, e.g. '1-151'")
        ids.update(range(start, end + 1))
    return sorted(ids) or None


def parse_list(spec: str | Sequence[str] | None) -> list[str] | None:
    """``"latest,legacy"`` → ``["latest", "legacy"]``; empty → ``None``."""
    if spec is None:
        return None
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out = list(dict.fromkeys(s.strip() for s in items if s and s.strip()))
    return out or None


def parse_generations(spec: str | None) -> list[int] | None:
    """``"1,2"`` or ``"1-3"`` → generation numbers, each checked against the known generations."""
    gens = parse_ids(spec)
    if gens is None:
        return None
    unknown = [g for g in gens if g not in GENERATION_LAST_ID]
    if unknown:
        raise SelectionError(
            f"--generations: unknown generation(s) {unknown}; expected numbers in 1-{max(GENERATION_LAST_ID)}"
        )
    return gens


def select_species(
    pokedex: Sequence[Species], ids: list[int] | None = None, generations: list[int] | None = None
) -> list[Species]:
    """The species matching both filters, sorted by Pokédex number; unknown ids are an error."""
    by_id = {s.pokedex_id: s for s in pokedex}
    if ids is not None:
        missing = [i for i in ids if i not in by_id]
        if missing:
            known = f"{min(by_id)}-{max(by_id)}" if by_id else "none"
            raise SelectionError(
                f"--ids: no species with id(s) {_short(missing)} in this source; expected ids in {known}"
            )
        chosen = [by_id[i] for i in ids]
    else:
        chosen = sorted(by_id.values(), key=lambda s: s.pokedex_id)
    if generations is not None:
        chosen = [s for s in chosen if (s.generation or generation_of(s.pokedex_id)) in generations]
    if not chosen:
        raise SelectionError(f"the selection (ids={ids}, generations={generations}) matches no species")
    return sorted(chosen, key=lambda s: s.pokedex_id)


def select_renditions(requested: list[str] | None, offered: Sequence[str], source: str) -> list[str]:
    """Requested renditions (default: all the source offers), each checked against what it offers."""
    if requested is None:
        return list(offered)
    unknown = [r for r in requested if r not in offered]
    if unknown:
        raise SelectionError(
            f"--renditions: source {source!r} has no rendition {unknown}; expected some of {', '.join(offered)}"
        )
    return list(requested)


def _short(values: list[int], limit: int = 12) -> str:
    text = ", ".join(map(str, values[:limit]))
    return text + (f", … ({len(values)} in all)" if len(values) > limit else "")
