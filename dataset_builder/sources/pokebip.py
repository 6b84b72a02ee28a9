"""Pokébip: the original project's French source (``pokedex/<version>`` page, mp3 cries under ``audio/cris-sl``).

The page has one ``<tr>`` per Pokémon after the header row; its cells are [0] an icon, [1] an ``<a>`` with the
French name and the species page, [2] type ``<img alt=...>``, [3] the national number as ``#001`` in a
``<span class="has-tooltip">``, [4..8] stats. English and other names (the class labels are English) come
from the PokeAPI CSVs at ``--pokeapi-url``; without them the French name is used and a warning says so.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin

from ..http import DownloadError
from ..schema import Species
from ..selection import generation_of
from .base import Source, SourceError
from .pokeapi import enrich

logger = logging.getLogger(__name__)

NUMBER = re.compile(r"#\s*(\d+)")


def parse_pokedex_page(html: str | bytes, page_url: str) -> list[tuple[Species, str]]:
    """``(species, number as printed)`` for every Pokémon row of a Pokébip Pokédex page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    out: dict[int, tuple[Species, str]] = {}
    for tr in soup.find_all("tr"):
        cells = tr.find_all("td", recursive=False)
        if len(cells) < 4:
            continue  # the header row (th cells) and anything that is not a Pokémon
        link = cells[1].find("a")
        span = cells[3].find("span", class_="has-tooltip") or cells[3]
        match = NUMBER.search(span.get_text(" ", strip=True))
        if link is None or match is None:
            continue
        number = match.group(1)
        pokedex_id = int(number)
        name = link.get_text(" ", strip=True)
        slug = link.get("href", "").rstrip("/").rsplit("/", 1)[-1] or name.lower()
        types = [img["alt"].strip().lower() for img in cells[2].find_all("img") if img.get("alt", "").strip()]
        icon = cells[0].find("img")
        sprite = urljoin(page_url, icon.get("data-src") or icon.get("src", "")) if icon else ""
        species = Species(
            pokedex_id=pokedex_id,
            identifier=slug,
            names={"fr": name},
            types=types,
            generation=generation_of(pokedex_id),
            sprite_url=sprite if icon and (icon.get("data-src") or icon.get("src")) else "",
        )
        out.setdefault(pokedex_id, (species, number))  # regional forms repeat a number: keep the first row
    return [out[k] for k in sorted(out)]


class PokebipSource(Source):
    """French names and mp3 cries from pokebip.com; other languages from the PokeAPI CSVs when reachable."""

    name = "pokebip"
    renditions = ("latest",)

    def page_url(self) -> str:
        return f"{self.config.pokebip_url.rstrip('/')}/pokedex/{self.config.pokebip_version.strip('/')}"

    def pokedex(self) -> list[Species]:
        url = self.page_url()
        rows = parse_pokedex_page(self.http.get(url), url)
        if not rows:
            raise SourceError(
                f"{url}: found no Pokémon rows; expected a Pokébip Pokédex table (<tr> with a name link, type images "
                "and '#001' numbers). Check --pokebip-url and --pokebip-version (e.g. rouge-bleu)"
            )
        self._numbers = {sp.pokedex_id: number for sp, number in rows}
        species = [sp for sp, _ in rows]
        try:
            species = enrich(species, self)
        except (DownloadError, SourceError) as err:
            logger.warning("pokebip: PokeAPI names unavailable (%s); labels and name_en fall back to the French names", err)
            for sp in species:
                sp.names.setdefault("en", sp.names["fr"])
        return species

    def cry_url(self, species: Species, rendition: str) -> str | None:
        if rendition not in self.renditions:
            raise SourceError(f"pokebip has no rendition {rendition!r}; expected {', '.join(self.renditions)}")
        number = getattr(self, "_numbers", {}).get(species.pokedex_id, f"{species.pokedex_id:03d}")
        return f"{self.config.pokebip_url.rstrip('/')}/audio/cris-sl/{number}.mp3"
