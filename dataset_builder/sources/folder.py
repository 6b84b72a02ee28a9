"""A user's own cries: ``<pokedex_id>.<ogg|mp3|wav|flac>`` (rendition ``latest``) or ``<rendition>/<id>.<ext>``.

An optional ``metadata.csv`` in the folder gives ``pokedex_id`` and any of ``name_<lang>`` (``name_en``
required), ``types`` (space-separated), ``generation``, ``sprite_url``. Without it, names and types come
from the PokeAPI CSVs at ``--pokeapi-url``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from frontend.audio import AUDIO_EXTENSIONS

from ..http import DownloadError
from ..schema import NAME_LANGUAGES, CryRef, Species, name_column
from ..selection import generation_of
from .base import Source, SourceError
from .pokeapi import enrich

METADATA_FILE = "metadata.csv"
DEFAULT_RENDITION = "latest"


class FolderSource(Source):
    """Cries read from disk; ``source_url`` is the file's ``file://`` URI."""

    name = "folder"
    renditions = (DEFAULT_RENDITION,)

    def __init__(self, config, http):
        super().__init__(config, http)
        if not config.folder:
            raise SourceError("--source folder needs --folder DIR (a folder of <pokedex_id>.<ogg|mp3|wav|flac> files)")
        self.root = Path(config.folder).expanduser()
        if not self.root.is_dir():
            raise SourceError(f"--folder {self.root}: not a folder; expected a folder of <pokedex_id>.<ogg|mp3|wav|flac> files")
        self.files = self._scan()
        if not self.files:
            raise SourceError(
                f"--folder {self.root}: no cry files; expected files named <pokedex_id>.<ext> with ext in "
                f"{', '.join(AUDIO_EXTENSIONS)} (e.g. 25.ogg), optionally in <rendition>/ subfolders"
            )
        self._paths = {path.resolve().as_uri(): path for path in self.files.values()}
        self.renditions = tuple(sorted({r for r, _ in self.files}, key=lambda r: (r != DEFAULT_RENDITION, r)))

    def _scan(self) -> dict[tuple[str, int], Path]:
        files: dict[tuple[str, int], Path] = {}
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or path.suffix.lower() not in AUDIO_EXTENSIONS or not path.stem.isdigit():
                continue
            rel = path.relative_to(self.root)
            if len(rel.parts) > 2:
                continue
            key = (rel.parts[0] if len(rel.parts) == 2 else DEFAULT_RENDITION, int(path.stem))
            if key in files:
                raise SourceError(f"--folder: two files for Pokémon {key[1]} ({key[0]}): {files[key]} and {path}; keep one")
            files[key] = path
        return files

    def pokedex(self) -> list[Species]:
        ids = sorted({i for _, i in self.files})
        meta_path = self.root / METADATA_FILE
        if meta_path.is_file():
            return self._from_metadata(meta_path, ids)
        species = [Species(i, f"pokemon-{i}", {}, generation=generation_of(i)) for i in ids]
        try:
            return enrich(species, self)
        except (DownloadError, SourceError) as err:
            raise SourceError(
                f"--folder {self.root}: no {METADATA_FILE} and the PokeAPI CSVs are unavailable ({err}); add a "
                f"{METADATA_FILE} with columns pokedex_id,name_en[,name_fr,…,types,generation,sprite_url] or fix --pokeapi-url"
            ) from err

    def _from_metadata(self, path: Path, ids: list[int]) -> list[Species]:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        if not rows or "pokedex_id" not in rows[0] or "name_en" not in rows[0]:
            raise SourceError(f"{path}: expected a CSV with at least the columns pokedex_id,name_en")
        by_id = {}
        for n, r in enumerate(rows, start=2):
            try:
                pid = int(r["pokedex_id"])
            except (TypeError, ValueError):
                raise SourceError(f"{path}, line {n}: pokedex_id {r['pokedex_id']!r} is not a number") from None
            names = {lang: r[name_column(lang)] for lang in NAME_LANGUAGES if r.get(name_column(lang))}
            if not names.get("en"):
                raise SourceError(f"{path}, line {n}: name_en is empty; every species needs an English name (its label)")
            by_id[pid] = Species(
                pokedex_id=pid,
                identifier=names["en"].lower().replace(" ", "-"),
                names=names,
                types=(r.get("types") or "").split(),
                generation=int(r["generation"]) if (r.get("generation") or "").strip() else generation_of(pid),
                sprite_url=r.get("sprite_url") or "",
            )
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise SourceError(f"{path}: no row for Pokémon {missing}, which have cry files; add them")
        return [by_id[i] for i in ids]

    def cry_url(self, species: Species, rendition: str) -> str | None:
        path = self.files.get((rendition, species.pokedex_id))
        return path.resolve().as_uri() if path else None

    def fetch(self, refs: list[CryRef]) -> dict[str, bytes | DownloadError]:
        out: dict[str, bytes | DownloadError] = {}
        for ref in refs:
            path = self._paths.get(ref.url, Path(ref.url))
            try:
                out[ref.url] = path.read_bytes()
            except OSError as err:
                out[ref.url] = DownloadError(ref.url, f"cannot read {path}: {err.strerror or err}")
        return out
