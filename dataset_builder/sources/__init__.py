"""Pluggable cry sources: ``pokeapi`` (default), ``pokebip`` and ``folder``, behind one interface.

:data:`SOURCES` is declared here, complete as soon as the package is imported.
"""

from __future__ import annotations

from ..config import SourceConfig
from ..http import HttpClient
from .base import Source, SourceError
from .folder import FolderSource
from .pokeapi import PokeapiSource
from .pokebip import PokebipSource

SOURCES: dict[str, type[Source]] = {"pokeapi": PokeapiSource, "pokebip": PokebipSource, "folder": FolderSource}
"""Every cry source by its ``--source`` name."""


def make_source(config: SourceConfig, http: HttpClient) -> Source:
    """The source ``config.source`` names; an unknown name is an error listing the known ones."""
    if config.source not in SOURCES:
        raise SourceError(f"--source: unknown source {config.source!r}; expected one of {', '.join(sorted(SOURCES))}")
    return SOURCES[config.source](config, http)


__all__ = ["SOURCES", "FolderSource", "PokeapiSource", "PokebipSource", "Source", "SourceError", "make_source"]
