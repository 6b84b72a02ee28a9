"""The PokeAPI source (CSV export → species, cry and sprite URLs) and the selection flags."""

from __future__ import annotations

import pytest

from dataset_builder.config import SourceConfig
from dataset_builder.http import DownloadError, HttpClient, HttpConfig
from dataset_builder.schema import NAME_LANGUAGES, name_column
from dataset_builder.selection import (
    SelectionError,
    generation_of,
    parse_generations,
    parse_ids,
    parse_list,
    select_renditions,
    select_species,
)
from dataset_builder.sources import SourceError, make_source
from dataset_builder.sources.pokeapi import PokeapiSource, language_tag
from tests.fake_sources import serve_pokeapi


@pytest.fixture
def source(httpserver, tmp_path) -> PokeapiSource:
    urls = serve_pokeapi(httpserver)
    http = HttpClient(HttpConfig(cache_dir=str(tmp_path / "cache"), backoff_s=0.01))
    return make_source(SourceConfig(source="pokeapi", **urls), http)


def test_pokedex_reads_names_types_generation_and_sprites(source):
    pokedex = {s.pokedex_id: s for s in source.pokedex()}
    assert sorted(pokedex) == [1, 4, 25, 152, 700]
    bulba = pokedex[1]
    assert bulba.name == "Bulbasaur" and bulba.identifier == "bulbasaur" and bulba.generation == 1
    assert bulba.types == ["grass", "poison"]  # slot order
    # Every language PokeAPI has, with BCP 47 casing; ja is the kana name.
    assert bulba.names["zh-Hans"] == "妙蛙种子" and bulba.names["pt-BR"] == "Bulbasaur"
    assert {lang: bulba.localized_name(lang) for lang in ("fr", "de", "ja", "zh-Hant")} == {
        "fr": "Bulbizarre", "de": "Bisasam", "ja": "フシギダネ", "zh-Hant": "妙蛙種子"}
    assert pokedex[152].localized_name("ko") == "Chikorita"  # a missing language falls back to English
    assert bulba.sprite_url.endswith("/sprites/sprites/pokemon/versions/generation-v/black-white/animated/1.gif")
    assert pokedex[152].sprite_url.endswith("/sprites/sprites/pokemon/152.png")
    assert pokedex[700].generation == 6 and pokedex[700].types == ["normal"]


def test_every_schema_language_is_filled(source):
    for sp in source.pokedex():
        for lang in NAME_LANGUAGES:
            assert sp.localized_name(lang), (sp.pokedex_id, name_column(lang))


def test_cry_urls_follow_the_cries_repository_layout(source, httpserver):
    pokedex = source.pokedex()
    refs = source.cry_refs(pokedex, ["latest", "legacy"])
    urls = {(r.species.pokedex_id, r.rendition): r.url for r in refs}
    assert urls[(25, "latest")] == httpserver.url_for("/cries/cries/pokemon/latest/25.ogg")
    assert urls[(25, "legacy")] == httpserver.url_for("/cries/cries/pokemon/legacy/25.ogg")
    assert (700, "latest") in urls and (700, "legacy") not in urls  # legacy cries stop at 649 by design
    assert len(refs) == 9


def test_all_1025_species_get_urls():
    src = PokeapiSource(SourceConfig(), HttpClient(HttpConfig(cache_dir=None)))
    from dataset_builder.schema import Species

    species = [Species(i, f"p{i}", {"en": f"P{i}"}) for i in range(1, 1026)]
    refs = src.cry_refs(species, ["latest", "legacy"])
    assert len(refs) == 1025 + 649
    assert refs[-1].url == "https://raw.githubusercontent.com/PokeAPI/cries/main/cries/pokemon/latest/1025.ogg"
    assert src.sprite_url(1025) == "https://raw.githubusercontent.com/PokeAPI/sprites/master/sprites/pokemon/1025.png"


def test_language_tags():
    assert [language_tag(x) for x in ("en", "zh-hans", "ja-hrkt", "pt-br", "es-419")] == [
        "en", "zh-Hans", "ja-Hrkt", "pt-BR", "es-419"]


def test_csv_without_expected_columns_is_a_clear_error(httpserver, tmp_path):
    httpserver.expect_request("/p/data/v2/csv/pokemon_species.csv").respond_with_data("foo,bar\n1,2\n")
    src = make_source(SourceConfig(pokeapi_url=httpserver.url_for("/p")), HttpClient(HttpConfig(cache_dir=None)))
    with pytest.raises(SourceError, match="expected a PokeAPI CSV with columns id, identifier, generation_id"):
        src.pokedex()


def test_csv_404_names_the_url(httpserver):
    httpserver.expect_request("/p/data/v2/csv/pokemon_species.csv").respond_with_data("", status=404)
    src = make_source(SourceConfig(pokeapi_url=httpserver.url_for("/p")), HttpClient(HttpConfig(cache_dir=None)))
    with pytest.raises(DownloadError, match=r"pokemon_species\.csv: HTTP 404"):
        src.pokedex()


def test_unknown_source_lists_the_known_ones():
    with pytest.raises(SourceError, match="unknown source 'pokedex'; expected one of folder, pokeapi, pokebip"):
        make_source(SourceConfig(source="pokedex"), HttpClient(HttpConfig(cache_dir=None)))


# --- selection ---------------------------------------------------------------------------------------------


def test_parse_ids():
    assert parse_ids("1-3,25, 2") == [1, 2, 3, 25]
    assert parse_ids(None) is None and parse_ids("all") is None
    for bad in ("1-", "a-3", "5-2", "0", "1..3"):
        with pytest.raises(SelectionError, match="--ids"):
            parse_ids(bad)


def test_parse_generations_and_lists():
    assert parse_generations("1,2") == [1, 2] and parse_generations("1-3") == [1, 2, 3]
    with pytest.raises(SelectionError, match=r"unknown generation\(s\) \[10\]; expected numbers in 1-9"):
        parse_generations("1,10")
    assert parse_list("latest, legacy,latest") == ["latest", "legacy"] and parse_list("") is None
    assert [generation_of(i) for i in (1, 151, 152, 649, 650, 1025)] == [1, 1, 2, 5, 6, 9]


def test_select_species(source):
    pokedex = source.pokedex()
    assert [s.pokedex_id for s in select_species(pokedex, [25, 1])] == [1, 25]
    assert [s.pokedex_id for s in select_species(pokedex, None, [2, 6])] == [152, 700]
    assert [s.pokedex_id for s in select_species(pokedex, [1, 4, 152], [1])] == [1, 4]
    with pytest.raises(SelectionError, match=r"no species with id\(s\) 2, 3 in this source; expected ids in 1-700"):
        select_species(pokedex, [1, 2, 3])
    with pytest.raises(SelectionError, match="matches no species"):
        select_species(pokedex, [1], [2])


def test_select_renditions():
    assert select_renditions(None, ("latest", "legacy"), "pokeapi") == ["latest", "legacy"]
    with pytest.raises(SelectionError, match=r"source 'pokeapi' has no rendition \['xy'\]; expected some of latest, legacy"):
        select_renditions(["latest", "xy"], ("latest", "legacy"), "pokeapi")
