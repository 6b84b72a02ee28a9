"""The folder source: a user's own <pokedex_id>.<ext> files or an audiofolder-style layout, with or without metadata.csv."""

from __future__ import annotations

import pytest

from dataset_builder.build import download_cries
from dataset_builder.config import SourceConfig
from dataset_builder.http import HttpClient, HttpConfig
from dataset_builder.sources import SourceError, make_source
from tests.fake_sources import SPECIES, serve_pokeapi
from tests.synthetic import fake_cry, write_audio


def make(folder, pokeapi_url="http://127.0.0.1:9/none"):
    http = HttpClient(HttpConfig(cache_dir=None, retries=0))
    return make_source(SourceConfig(source="folder", folder=str(folder), pokeapi_url=pokeapi_url), http)


@pytest.fixture
def cries(tmp_path):
    folder = tmp_path / "my cries"
    write_audio(folder / "1.ogg", fake_cry(1, 0.8, sample_rate=22_050), 22_050)
    write_audio(folder / "4.wav", fake_cry(4, 0.8))
    write_audio(folder / "25.flac", fake_cry(25, 0.8, sample_rate=44_100), 44_100, channels=2)
    write_audio(folder / "legacy" / "25.mp3", fake_cry(26, 0.8, sample_rate=24_000), 24_000)
    (folder / "notes.txt").write_text("not a cry")
    (folder / "cover.ogg").write_bytes(b"not named by id")
    return folder


def test_metadata_csv_gives_names_types_and_generation(cries):
    (cries / "metadata.csv").write_text(
        "pokedex_id,name_en,name_fr,types,generation,sprite_url\n"
        "1,Bulbasaur,Bulbizarre,grass poison,1,https://example.org/1.png\n"
        "4,Charmander,Salamèche,fire,,\n"
        "25,Pikachu,Pikachu,electric,1,\n"
    )
    src = make(cries)
    pokedex = src.pokedex()
    assert [(s.pokedex_id, s.name, s.localized_name("fr")) for s in pokedex] == [
        (1, "Bulbasaur", "Bulbizarre"), (4, "Charmander", "Salamèche"), (25, "Pikachu", "Pikachu")]
    assert pokedex[0].types == ["grass", "poison"] and pokedex[1].generation == 1
    assert pokedex[0].sprite_url == "https://example.org/1.png"
    assert pokedex[1].localized_name("ja") == "Charmander"  # missing languages fall back to English
    assert src.renditions == ("latest", "legacy")
    refs = src.cry_refs(pokedex, src.renditions)
    assert [(r.species.pokedex_id, r.rendition) for r in refs] == [(1, "latest"), (4, "latest"), (25, "latest"), (25, "legacy")]
    assert [r.url for r in refs] == ["1.ogg", "4.wav", "25.flac", "legacy/25.mp3"]  # relative: no local path in the data
    # Every format decodes to 16 kHz mono through the same validation as downloads.
    audio, missing = download_cries(src, refs)
    assert missing == [] and all(a.ndim == 1 and abs(a.size / 16_000 - 0.8) < 0.03 for a in audio.values())


def test_without_metadata_names_come_from_pokeapi(cries, httpserver):
    urls = serve_pokeapi(httpserver, SPECIES[:3], renditions=())
    pokedex = make(cries, urls["pokeapi_url"]).pokedex()
    assert [s.name for s in pokedex] == ["Bulbasaur", "Charmander", "Pikachu"]
    assert pokedex[0].types == ["grass", "poison"] and pokedex[2].localized_name("de") == "Pikachu"


def test_without_metadata_or_pokeapi_says_what_to_add(cries):
    with pytest.raises(SourceError, match="no metadata.csv and the PokeAPI CSVs are unavailable.*name_en"):
        make(cries).pokedex()


def test_metadata_must_cover_every_file(cries):
    (cries / "metadata.csv").write_text("pokedex_id,name_en\n1,Bulbasaur\n4,Charmander\n")
    with pytest.raises(SourceError, match=r"no row for Pokémon \[25\]"):
        make(cries).pokedex()
    (cries / "metadata.csv").write_text("pokedex_id,name\n1,Bulbasaur\n")
    with pytest.raises(SourceError, match="expected a CSV with at least the columns pokedex_id,name_en"):
        make(cries).pokedex()


def test_bad_folders_are_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="needs --folder"):
        make_source(SourceConfig(source="folder"), HttpClient(HttpConfig(cache_dir=None)))
    with pytest.raises(SourceError, match="not a folder"):
        make(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match=r"no cry files; expected <pokedex_id>\.<ext>"):
        make(tmp_path / "empty")
    write_audio(tmp_path / "dup" / "7.ogg", fake_cry(7))
    write_audio(tmp_path / "dup" / "7.wav", fake_cry(7))
    with pytest.raises(SourceError, match="two files for Pokémon 7"):
        make(tmp_path / "dup").pokedex()


def test_corrupt_empty_and_silent_files_are_reported_by_name(tmp_path):
    import numpy as np

    folder = tmp_path / "bad"
    write_audio(folder / "1.ogg", fake_cry(1))
    write_audio(folder / "2.wav", np.zeros(16_000, dtype=np.float32))
    (folder / "3.ogg").write_bytes(b"")
    (folder / "4.mp3").write_bytes(b"ID3 this is not an mp3 at all" * 10)
    write_audio(folder / "5.wav", fake_cry(5, seconds=0.05))
    (folder / "metadata.csv").write_text("pokedex_id,name_en\n1,A\n2,B\n3,C\n4,D\n5,E\n")
    src = make(folder)
    audio, missing = download_cries(src, src.cry_refs(src.pokedex(), ["latest"]))
    reasons = {url.rsplit("/", 1)[-1]: reason for url, reason in missing}
    assert len(audio) == 1 and set(reasons) == {"2.wav", "3.ogg", "4.mp3", "5.wav"}
    assert "silent" in reasons["2.wav"] and "louder than -60 dBFS" in reasons["2.wav"]
    assert "empty" in reasons["3.ogg"]
    assert "could not decode" in reasons["4.mp3"]
    assert "lasts 0.05 s; expected a cry of 0.1-10 s" in reasons["5.wav"]


def test_an_audiofolder_layout_takes_species_from_file_and_folder_names(tmp_path, httpserver, caplog):
    folder = tmp_path / "animals"
    write_audio(folder / "pikachu" / "at-home.wav", fake_cry(25, 0.8))
    write_audio(folder / "pikachu" / "on-tv.wav", fake_cry(26, 0.8))
    write_audio(folder / "Charmander" / "only.ogg", fake_cry(4, 0.8))
    write_audio(folder / "BULBASAUR.flac", fake_cry(1, 0.8))
    write_audio(folder / "pichu.wav", fake_cry(2, 0.8))  # no such species in the served Pokédex
    urls = serve_pokeapi(httpserver, SPECIES[:3], renditions=())
    src = make(folder, urls["pokeapi_url"])
    with caplog.at_level("WARNING"):
        pokedex = src.pokedex()
    assert [(s.pokedex_id, s.name, s.localized_name("fr")) for s in pokedex] == [
        (1, "Bulbasaur", "Bulbizarre"), (4, "Charmander", "Salamèche"), (25, "Pikachu", "Pikachu")]
    assert "left out: pichu.wav" in caplog.text
    assert src.renditions == ("latest", "at-home", "on-tv")  # two recordings of one species: one rendition each
    refs = src.cry_refs(pokedex, src.renditions)
    assert [(r.species.pokedex_id, r.rendition, r.url) for r in refs] == [
        (1, "latest", "BULBASAUR.flac"), (4, "latest", "Charmander/only.ogg"),
        (25, "at-home", "pikachu/at-home.wav"), (25, "on-tv", "pikachu/on-tv.wav")]
    audio, missing = download_cries(src, refs)
    assert missing == [] and len(audio) == 4


def test_a_file_level_metadata_csv_labels_each_file(tmp_path):
    folder = tmp_path / "labelled"
    write_audio(folder / "clips" / "a.wav", fake_cry(1, 0.8))
    write_audio(folder / "clips" / "b.wav", fake_cry(4, 0.8))
    (folder / "metadata.csv").write_text("file_name,label\nclips/a.wav,Bulbasaur\nclips/b.wav,Charmander\n")
    src = make(folder)  # the PokeAPI is unreachable: the labels must be resolvable without it
    with pytest.raises(SourceError, match="no metadata.csv and the PokeAPI CSVs are unavailable"):
        src.pokedex()
    (folder / "metadata.csv").write_text("file_name,pokedex_id,rendition\nclips/a.wav,1,latest\nclips/b.wav,1,legacy\n")
    src = make(folder)
    assert src.renditions == ("latest", "legacy") and [e.pokedex_id for e in src.entries] == [1, 1]
    (folder / "metadata.csv").write_text("file_name,comment\nclips/a.wav,nice\n")
    with pytest.raises(SourceError, match="has file_name but no label, name_en or pokedex_id column"):
        make(folder)
