"""PokeAPI (default source): species from its CSV export, cries from PokeAPI/cries, sprites from PokeAPI/sprites."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from ..schema import CryRef, Species
from .base import Source, SourceError

CSV_PATH = "data/v2/csv"
LEGACY_LAST_ID = 649
"""PokeAPI/cries has ``legacy`` cries (the older in-game renditions) for ids 1-649 only."""
ANIMATED_SPRITE_LAST_ID = 151
"""Animated Black/White sprites are used up to here; later ids get the default static sprite."""


def language_tag(identifier: str) -> str:
    """PokeAPI language identifier → BCP 47 casing: ``zh-hans`` → ``zh-Hans``, ``pt-br`` → ``pt-BR``."""
    head, *rest = identifier.split("-")
    parts = [head.lower()]
    for part in rest:
        parts.append(part.title() if len(part) == 4 else part.upper() if part.isalpha() else part)
    return "-".join(parts)


def _rows(text: bytes, name: str) -> list[dict[str, str]]:
    try:
        rows = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as err:
        raise SourceError(f"{name}: not a UTF-8 CSV ({err})") from err
    return rows


class PokeapiSource(Source):
    """Names in every language PokeAPI has, types and generation from the CSVs; ``latest``/``legacy`` cries."""

    name = "pokeapi"
    renditions = ("latest", "legacy")
    has_forms = True

    def csv(self, table: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
        """Rows of ``<pokeapi-url>/data/v2/csv/<table>.csv``, checked to have ``columns``."""
        url = f"{self.config.pokeapi_url.rstrip('/')}/{CSV_PATH}/{table}.csv"
        rows = _rows(self.http.get(url), url)
        missing = [c for c in columns if rows and c not in rows[0]]
        if not rows or missing:
            raise SourceError(f"{url}: expected a PokeAPI CSV with columns {', '.join(columns)}; missing {missing or 'rows'}")
        return rows

    def pokedex(self) -> list[Species]:
        species_rows = self.csv("pokemon_species", ("id", "identifier", "generation_id"))
        languages = {r["id"]: language_tag(r["identifier"]) for r in self.csv("languages", ("id", "identifier"))}
        names: dict[int, dict[str, str]] = {}
        for r in self.csv("pokemon_species_names", ("pokemon_species_id", "local_language_id", "name")):
            if r["name"] and r["local_language_id"] in languages:
                names.setdefault(int(r["pokemon_species_id"]), {})[languages[r["local_language_id"]]] = r["name"]
        default_form, forms = {}, {}
        for r in self.csv("pokemon", ("id", "species_id", "is_default")):
            if r["is_default"] == "1":
                default_form[int(r["species_id"])] = int(r["id"])
            else:
                forms.setdefault(int(r["species_id"]), []).append(int(r["id"]))
        type_names = {r["id"]: r["identifier"] for r in self.csv("types", ("id", "identifier"))}
        types: dict[int, list[tuple[int, str]]] = {}
        for r in self.csv("pokemon_types", ("pokemon_id", "type_id", "slot")):
            types.setdefault(int(r["pokemon_id"]), []).append((int(r["slot"]), type_names.get(r["type_id"], r["type_id"])))
        out = []
        for r in species_rows:
            sid = int(r["id"])
            form = default_form.get(sid, sid)
            out.append(
                Species(
                    pokedex_id=sid,
                    identifier=r["identifier"],
                    names=names.get(sid, {}),
                    types=[t for _, t in sorted(types.get(form, []))],
                    generation=int(r["generation_id"] or 0),
                    sprite_url=self.sprite_url(sid),
                )
            )
        self._cry_ids = {sid: default_form.get(sid, sid) for sid in (s.pokedex_id for s in out)}
        self._form_ids = {sid: sorted(ids) for sid, ids in forms.items()}
        return sorted(out, key=lambda s: s.pokedex_id)

    def sprite_url(self, pokedex_id: int) -> str:
        base = self.config.sprites_url.rstrip("/")
        if pokedex_id <= ANIMATED_SPRITE_LAST_ID:
            return f"{base}/sprites/pokemon/versions/generation-v/black-white/animated/{pokedex_id}.gif"
        return f"{base}/sprites/pokemon/{pokedex_id}.png"

    def cry_url(self, species: Species, rendition: str) -> str | None:
        if rendition not in self.renditions:
            raise SourceError(f"pokeapi has no rendition {rendition!r}; expected one of {', '.join(self.renditions)}")
        if rendition == "legacy" and species.pokedex_id > LEGACY_LAST_ID:
            return None
        cry_id = getattr(self, "_cry_ids", {}).get(species.pokedex_id, species.pokedex_id)
        return f"{self.config.cries_url.rstrip('/')}/cries/pokemon/{rendition}/{cry_id}.ogg"

    def form_refs(self, species: Sequence[Species], renditions: Sequence[str]) -> list[CryRef]:
        """``latest`` cries of every alternate form of ``species`` (PokeAPI/cries has no ``legacy`` form cries)."""
        if "latest" not in renditions:
            return []
        base = self.config.cries_url.rstrip("/")
        return [
            CryRef(sp, "latest", f"{base}/cries/pokemon/latest/{form}.ogg", form_id=form)
            for sp in species
            for form in getattr(self, "_form_ids", {}).get(sp.pokedex_id, [])
        ]


def enrich(species: list[Species], source: Source) -> list[Species]:
    """Fill names, types, generation and sprite of ``species`` from the PokeAPI CSVs (by Pokédex number).

    The source's own names win; raises :class:`~dataset_builder.http.DownloadError` when the CSVs are unreachable.
    """
    reference = {s.pokedex_id: s for s in PokeapiSource(source.config, source.http).pokedex()}
    out = []
    for sp in species:
        ref = reference.get(sp.pokedex_id)
        if ref is None:
            out.append(sp)
            continue
        out.append(
            Species(
                pokedex_id=sp.pokedex_id,
                identifier=ref.identifier,
                names={**ref.names, **sp.names},
                types=ref.types or sp.types,
                generation=ref.generation or sp.generation,
                sprite_url=sp.sprite_url or ref.sprite_url,
            )
        )
    return out
