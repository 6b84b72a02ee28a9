"""The Pokébip source against a fixture page with Pokébip's structure, served on loopback."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from dataset_builder.config import SourceConfig
from dataset_builder.http import HttpClient, HttpConfig
from dataset_builder.sources import SourceError, make_source
from dataset_builder.sources.pokebip import parse_pokedex_page
from tests.fake_sources import SPECIES, serve_pokeapi

PAGE = Path(__file__).parent / "fixtures" / "pokebip_rouge-bleu.html"


def make(httpserver, tmp_path, pokeapi: bool):
    httpserver.expect_request("/pokedex/rouge-bleu").respond_with_data(PAGE.read_bytes(), content_type="text/html")
    urls = serve_pokeapi(httpserver, SPECIES[:3], renditions=()) if pokeapi else {"pokeapi_url": httpserver.url_for("/nothing")}
    config = SourceConfig(source="pokebip", pokebip_url=httpserver.url_for("/"), pokebip_version="rouge-bleu", pokeapi_url=urls["pokeapi_url"])
    return make_source(config, HttpClient(HttpConfig(cache_dir=str(tmp_path / "c"), backoff_s=0.01, retries=1)))


def test_parse_page_structure():
    rows = parse_pokedex_page(PAGE.read_bytes(), "https://www.pokebip.com/pokedex/rouge-bleu")
    assert [(s.pokedex_id, s.names["fr"], number) for s, number in rows] == [
        (1, "Bulbizarre", "001"), (4, "Salamèche", "004"), (25, "Pikachu", "025")]  # the form row is dropped
    bulba = rows[0][0]
    assert bulba.types == ["plante", "poison"] and bulba.identifier == "bulbizarre" and bulba.generation == 1
    assert bulba.sprite_url == "https://www.pokebip.com/images/pokemon/mini/001.png"
    assert rows[1][0].sprite_url == "https://www.pokebip.com/images/pokemon/mini/004.png"  # lazy-loaded data-src


def test_pokedex_with_pokeapi_names(httpserver, tmp_path):
    src = make(httpserver, tmp_path, pokeapi=True)
    pokedex = src.pokedex()
    assert [s.name for s in pokedex] == ["Bulbasaur", "Charmander", "Pikachu"]
    assert pokedex[1].localized_name("fr") == "Salamèche" and pokedex[1].localized_name("ja") == "ヒトカゲ"
    assert pokedex[0].types == ["grass", "poison"]  # PokeAPI's type identifiers, like the other sources
    refs = src.cry_refs(pokedex, src.renditions)
    assert [r.url for r in refs] == [httpserver.url_for(f"/audio/cris-sl/{n}.mp3") for n in ("001", "004", "025")]
    assert {r.rendition for r in refs} == {"latest"}


def test_pokedex_without_pokeapi_falls_back_to_french_with_a_warning(httpserver, tmp_path, caplog):
    src = make(httpserver, tmp_path, pokeapi=False)
    with caplog.at_level(logging.WARNING):
        pokedex = src.pokedex()
    assert "fall back to the French names" in caplog.text
    assert [s.name for s in pokedex] == ["Bulbizarre", "Salamèche", "Pikachu"]
    assert pokedex[1].localized_name("fr") == "Salamèche"


def test_page_without_rows_is_a_clear_error(httpserver, tmp_path):
    httpserver.expect_request("/pokedex/or-argent").respond_with_data("<html><table><tr><th>Nom</th></tr></table></html>")
    src = make_source(SourceConfig(source="pokebip", pokebip_url=httpserver.url_for("/"), pokebip_version="or-argent"),
                      HttpClient(HttpConfig(cache_dir=None)))
    with pytest.raises(SourceError, match="found no Pokémon rows.*--pokebip-version"):
        src.pokedex()
