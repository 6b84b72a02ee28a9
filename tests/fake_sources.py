"""Loopback stand-ins for the builder's sources: PokeAPI CSVs, PokeAPI/cries, a Pokébip page, all generated."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from tests.synthetic import audio_bytes, fake_cry

LANGUAGES = [  # (id, identifier) as in PokeAPI's languages.csv
    (1, "ja-hrkt"), (2, "ja-roma"), (3, "ko"), (4, "zh-hant"), (5, "fr"), (6, "de"), (7, "es"),
    (8, "it"), (9, "en"), (11, "ja"), (12, "zh-hans"), (13, "pt-br"),
]
TYPES = {1: "normal", 4: "poison", 10: "fire", 11: "water", 12: "grass", 13: "electric"}


@dataclass
class FakeSpecies:
    pokedex_id: int
    identifier: str
    generation: int
    names: dict[str, str]
    types: list[int]
    cry_seconds: dict[str, float] = field(default_factory=lambda: {"latest": 1.0, "legacy": 0.8})


SPECIES = [
    FakeSpecies(1, "bulbasaur", 1, {"en": "Bulbasaur", "fr": "Bulbizarre", "ja-hrkt": "フシギダネ", "ja": "フシギダネ",
                                   "de": "Bisasam", "es": "Bulbasaur", "it": "Bulbasaur", "ko": "이상해씨",
                                   "zh-hans": "妙蛙种子", "zh-hant": "妙蛙種子", "pt-br": "Bulbasaur"}, [12, 4]),
    FakeSpecies(4, "charmander", 1, {"en": "Charmander", "fr": "Salamèche", "ja-hrkt": "ヒトカゲ", "ja": "ヒトカゲ",
                                    "de": "Glumanda", "es": "Charmander", "it": "Charmander", "ko": "파이리",
                                    "zh-hans": "小火龙", "zh-hant": "小火龍"}, [10]),
    FakeSpecies(25, "pikachu", 1, {"en": "Pikachu", "fr": "Pikachu", "ja-hrkt": "ピカチュウ", "ja": "ピカチュウ",
                                  "de": "Pikachu", "es": "Pikachu", "it": "Pikachu", "ko": "피카츄",
                                  "zh-hans": "皮卡丘", "zh-hant": "皮卡丘"}, [13]),
    FakeSpecies(152, "chikorita", 2, {"en": "Chikorita", "fr": "Germignon", "de": "Endivie", "es": "Chikorita",
                                     "ja-hrkt": "チコリータ"}, [12]),
    FakeSpecies(700, "sylveon", 6, {"en": "Sylveon", "fr": "Nymphali", "de": "Feelinara", "es": "Sylveon",
                                   "ja-hrkt": "ニンフィア"}, [1]),
]


def _csv(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode()


FORMS = {10100: 25}
"""Alternate forms in pokemon.csv (PokeAPI pokemon id → species id); no cry file is served for them by default."""


def pokeapi_csvs(species: list[FakeSpecies] = SPECIES, forms: dict[int, int] = FORMS) -> dict[str, bytes]:
    """``<table>.csv`` → bytes, with the columns PokeAPI's export has (and a few it has that we ignore)."""
    lang_id = {ident: i for i, ident in LANGUAGES}
    return {
        "pokemon_species.csv": _csv(
            ["id", "identifier", "generation_id", "evolves_from_species_id", "order"],
            [[s.pokedex_id, s.identifier, s.generation, "", s.pokedex_id] for s in species],
        ),
        "pokemon_species_names.csv": _csv(
            ["pokemon_species_id", "local_language_id", "name", "genus"],
            [[s.pokedex_id, lang_id[lang], name, ""] for s in species for lang, name in s.names.items()],
        ),
        "languages.csv": _csv(["id", "iso639", "iso3166", "identifier", "official", "order"],
                              [[i, ident[:2], "", ident, 1, i] for i, ident in LANGUAGES]),
        "pokemon.csv": _csv(
            ["id", "identifier", "species_id", "height", "weight", "base_experience", "order", "is_default"],
            [[s.pokedex_id, s.identifier, s.pokedex_id, 1, 1, 1, s.pokedex_id, 1] for s in species]
            + [[form, f"form-{form}", sid, 1, 1, 1, form, 0] for form, sid in forms.items()],
        ),
        "types.csv": _csv(["id", "identifier", "generation_id", "damage_class_id"], [[i, t, 1, 2] for i, t in TYPES.items()]),
        "pokemon_types.csv": _csv(
            ["pokemon_id", "type_id", "slot"],
            [[s.pokedex_id, t, slot] for s in species for slot, t in enumerate(s.types, start=1)]
            + [[form, 11, 1] for form in forms],
        ),
    }


def cry_audio(species: FakeSpecies, rendition: str, fmt: str = "ogg", sample_rate: int = 22_050) -> bytes:
    """A distinct synthetic cry per (species, rendition), at an odd sample rate like the real files."""
    index = species.pokedex_id + (7 if rendition == "legacy" else 0)
    seconds = species.cry_seconds.get(rendition, 1.0)
    return audio_bytes(fake_cry(index, seconds, sample_rate=sample_rate, seed=index), sample_rate, fmt)


def serve_pokeapi(
    httpserver, species: list[FakeSpecies] = SPECIES, renditions=("latest", "legacy"), overrides=None, forms=FORMS
) -> dict[str, str]:
    """Register the CSVs and cries on ``httpserver``; returns the three base URLs as the CLI takes them.

    ``overrides`` maps a cry path (``latest/25.ogg``, or a form's ``latest/10100.ogg``) to bytes, or to an HTTP
    status to answer instead.
    """
    overrides = overrides or {}
    for name, data in pokeapi_csvs(species, forms).items():
        httpserver.expect_request(f"/pokeapi/data/v2/csv/{name}").respond_with_data(data, content_type="text/csv")
    for s in species:
        for rendition in renditions:
            key = f"{rendition}/{s.pokedex_id}.ogg"
            value = overrides.get(key, None)
            path = f"/cries/cries/pokemon/{key}"
            if isinstance(value, int):
                httpserver.expect_request(path).respond_with_data("nope", status=value)
            elif value is not None:
                httpserver.expect_request(path).respond_with_data(value, content_type="audio/ogg")
            elif key not in overrides:
                httpserver.expect_request(path).respond_with_data(cry_audio(s, rendition), content_type="audio/ogg")
    for form in forms:
        value = overrides.get(f"latest/{form}.ogg")
        path = f"/cries/cries/pokemon/latest/{form}.ogg"
        if isinstance(value, int):
            httpserver.expect_request(path).respond_with_data("nope", status=value)
        elif value is not None:
            httpserver.expect_request(path).respond_with_data(value, content_type="audio/ogg")
    return {
        "pokeapi_url": httpserver.url_for("/pokeapi"),
        "cries_url": httpserver.url_for("/cries"),
        "sprites_url": httpserver.url_for("/sprites"),
    }
