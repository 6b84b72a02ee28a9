"""The one species record: what a Pokédex source describes and what a model folder's ``pokedex.json`` keeps."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

NO_CRY_LABEL = "no_cry"
"""The class of recordings without a cry (music, talk, noise): a model may have it; it is never shown as a species."""

NAME_FALLBACKS = {"ja": ("ja-Hrkt", "ja")}
"""Keys of ``Species.names`` tried, in order, for a language (``ja`` is the kana name)."""


@dataclass
class Species:
    """One Pokémon species (or an enrolled sound): Pokédex number, names by language, types, generation, sprite."""

    pokedex_id: int
    identifier: str
    """PokeAPI's identifier (``pikachu``); empty for a sound enrolled by hand."""
    names: dict[str, str]
    """Language identifier → localised name; ``names["en"]`` is the class label."""
    types: list[str] = field(default_factory=list)
    generation: int = 0
    sprite_url: str = ""

    @property
    def name(self) -> str:
        return self.names.get("en") or self.identifier.title()

    def localized_name(self, lang: str) -> str:
        """The name in ``lang`` (a BCP 47 tag as in the dataset's name columns), else the English name."""
        for key in NAME_FALLBACKS.get(lang, (lang,)):
            if self.names.get(key):
                return self.names[key]
        return self.name

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, payload: dict) -> Species:
        """From ``pokedex.json`` (older files have no ``identifier``; unknown keys are ignored)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in payload.items() if k in known}
        values.setdefault("identifier", "")
        return cls(**values)
