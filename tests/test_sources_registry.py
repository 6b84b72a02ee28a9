"""The sources registry is a literal: complete right after ``import dataset_builder.sources``."""

import subprocess
import sys
from pathlib import Path

from dataset_builder.sources import SOURCES, Source

ROOT = Path(__file__).resolve().parents[1]


def test_sources_is_complete_right_after_import_in_a_fresh_process():
    code = "from dataset_builder.sources import SOURCES; print(','.join(f'{k}={v.__name__}' for k, v in SOURCES.items()))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "pokeapi=PokeapiSource,pokebip=PokebipSource,folder=FolderSource"


def test_every_source_is_registered_under_its_own_name():
    assert set(SOURCES) == {"pokeapi", "pokebip", "folder"}
    for name, cls in SOURCES.items():
        assert issubclass(cls, Source) and cls.name == name and cls.renditions
