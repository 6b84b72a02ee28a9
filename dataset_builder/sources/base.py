"""The interface every cry source implements (the registry by ``--source`` name is in ``__init__``)."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from ..config import SourceConfig
from ..http import DownloadError, HttpClient
from ..schema import CryRef, Species

logger = logging.getLogger(__name__)


class SourceError(ValueError):
    """A source cannot be used as configured (unknown name, missing folder, unparsable page…)."""


class Source(ABC):
    """A Pokédex plus where each species' cry renditions live."""

    name: ClassVar[str]
    renditions: ClassVar[tuple[str, ...]]
    """Renditions this source can offer, default order first."""
    has_forms: ClassVar[bool] = False
    """Whether :meth:`form_refs` knows alternate forms' cries (``--forms``)."""

    def __init__(self, config: SourceConfig, http: HttpClient):
        self.config = config
        self.http = http

    @abstractmethod
    def pokedex(self) -> list[Species]:
        """Every species the source knows, sorted by Pokédex number."""

    @abstractmethod
    def cry_url(self, species: Species, rendition: str) -> str | None:
        """Where that rendition of that species' cry lives; ``None`` when the source has none by design."""

    def cry_refs(self, species: Sequence[Species], renditions: Sequence[str]) -> list[CryRef]:
        """One :class:`CryRef` per (species, rendition) the source has, in (species, rendition) order."""
        refs, skipped = [], 0
        for sp in species:
            for rendition in renditions:
                url = self.cry_url(sp, rendition)
                if url is None:
                    skipped += 1
                else:
                    refs.append(CryRef(sp, rendition, url))
        if skipped:
            logger.info("%s: %d (species, rendition) pairs have no cry in this source by design; skipped", self.name, skipped)
        return refs

    def form_refs(self, species: Sequence[Species], renditions: Sequence[str]) -> list[CryRef]:
        """The cries of the species' alternate forms that may exist (a missing file is skipped, not an error);
        none for a source without forms (``has_forms`` False: the build refuses ``--forms`` before any download)."""
        return []

    def fetch(self, refs: Sequence[CryRef]) -> dict[str, bytes | DownloadError]:
        """The raw bytes of each cry by URL (cached); failures are returned, not raised."""
        return self.http.get_many([r.url for r in refs], progress=f"{self.name}: cries")
