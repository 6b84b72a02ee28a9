"""A user's own cries, from a folder in one of these layouts (mixing them is fine):

- ``<pokedex_id>.<ext>`` (rendition ``latest``) or ``<rendition>/<pokedex_id>.<ext>``;
- ``audiofolder`` style: ``<species>.<ext>`` or ``<species>/<any name>.<ext>`` (one folder per class, as
  ``datasets``' ``audiofolder`` reads labels from folder names; several files in a folder become renditions
  named after them), where ``<species>`` is a name such as ``pikachu`` or ``Mr. Mime``.

An optional ``metadata.csv`` either describes species (``pokedex_id`` and any of ``name_<lang>``, ``name_en``
required, ``types`` space-separated, ``generation``, ``sprite_url``) or, ``audiofolder``-style, files: a
``file_name`` column (path relative to the folder) with ``label`` (a species name) or ``pokedex_id``, and
optionally ``rendition``. Species names are matched against the species ``metadata.csv`` or, without one, the
PokeAPI CSVs at ``--pokeapi-url`` (which also give names and types). ``source_url`` is the path relative to the
folder, so no local path ends up in the dataset.
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from frontend.audio import AUDIO_EXTENSIONS

from ..http import DownloadError
from ..schema import NAME_LANGUAGES, CryRef, Species, name_column
from ..selection import generation_of
from .base import Source, SourceError
from .pokeapi import PokeapiSource, enrich

logger = logging.getLogger(__name__)

METADATA_FILE = "metadata.csv"
DEFAULT_RENDITION = "latest"
LAYOUTS = "<pokedex_id>.<ext>, <rendition>/<pokedex_id>.<ext>, <species>.<ext> or <species>/<name>.<ext>"


@dataclass
class CryFile:
    """One audio file and what its place (or ``metadata.csv``) says about it."""

    rel: str
    rendition: str
    pokedex_id: int | None = None
    label: str | None = None


def name_key(name: str) -> str:
    """A species name reduced for matching: ``Mr. Mime``, ``mr-mime`` and ``MR_MIME`` are the same."""
    return re.sub(r"[^0-9a-z♀♂]", "", name.lower())


class FolderSource(Source):
    """Cries read from disk; ``source_url`` is the file's path relative to ``--folder``."""

    name = "folder"
    renditions = (DEFAULT_RENDITION,)

    def __init__(self, config, http):
        super().__init__(config, http)
        if not config.folder:
            raise SourceError(f"--source folder needs --folder DIR (a folder of cries: {LAYOUTS})")
        self.root = Path(config.folder).expanduser()
        if not self.root.is_dir():
            raise SourceError(f"--folder {self.root}: not a folder; expected a folder of cries ({LAYOUTS})")
        meta = self.root / METADATA_FILE
        self._file_rows = self._read_file_metadata(meta) if _has_column(meta, "file_name") else {}
        self.entries = self._scan()
        if not self.entries:
            raise SourceError(
                f"--folder {self.root}: no cry files; expected {LAYOUTS} with ext in {', '.join(AUDIO_EXTENSIONS)} "
                "(e.g. 25.ogg or pikachu/cry.wav)"
            )
        self.files: dict[tuple[str, int], str] | None = None
        self.renditions = tuple(sorted({e.rendition for e in self.entries}, key=lambda r: (r != DEFAULT_RENDITION, r)))

    def _scan(self) -> list[CryFile]:
        entries = []
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root)
            if not path.is_file() or path.suffix.lower() not in AUDIO_EXTENSIONS or len(rel.parts) > 2:
                continue
            row = self._file_rows.get(rel.as_posix())
            if row is not None:
                entries.append(CryFile(rel.as_posix(), row.get("rendition") or DEFAULT_RENDITION, _int(row.get("pokedex_id")),
                                       row.get("label") or row.get("name_en") or None))
            elif path.stem.isdigit():
                entries.append(CryFile(rel.as_posix(), rel.parts[0] if len(rel.parts) == 2 else DEFAULT_RENDITION, int(path.stem)))
            else:  # audiofolder style: the file (at the top) or its folder names the species
                entries.append(CryFile(rel.as_posix(), DEFAULT_RENDITION, label=rel.parts[0] if len(rel.parts) == 2 else path.stem))
        by_label: dict[str, list[CryFile]] = {}
        for e in entries:
            if e.pokedex_id is None and "/" in e.rel and e.rel not in self._file_rows:
                by_label.setdefault(e.rel.split("/")[0], []).append(e)
        for group in by_label.values():  # several recordings of one species: one rendition each, named after the file
            if len(group) > 1:
                for e in group:
                    e.rendition = Path(e.rel).stem
        return entries

    def _read_file_metadata(self, path: Path) -> dict[str, dict]:
        rows = _read_csv(path)
        if not ({"label", "name_en", "pokedex_id"} & set(rows[0] if rows else {})):
            raise SourceError(f"{path}: has file_name but no label, name_en or pokedex_id column; expected one of them")
        return {r["file_name"].strip().lstrip("./"): r for r in rows if (r.get("file_name") or "").strip()}

    def _resolve(self, names: dict[str, int], where: str) -> dict[tuple[str, int], str]:
        """``(rendition, pokedex_id) → relative path``; files named after no known species are left out (logged)."""
        files: dict[tuple[str, int], str] = {}
        unknown = []
        for e in self.entries:
            pid = e.pokedex_id if e.pokedex_id is not None else names.get(name_key(e.label or ""))
            if pid is None:
                unknown.append(e.rel)
                continue
            key = (e.rendition, pid)
            if key in files:
                raise SourceError(f"--folder: two files for Pokémon {pid} ({e.rendition}): {files[key]} and {e.rel}; keep one")
            files[key] = e.rel
        if unknown:
            logger.warning("--folder %s: %d file(s) name no species known to %s, left out: %s", self.root, len(unknown),
                           where, ", ".join(unknown[:10]))
        if not files:
            raise SourceError(f"--folder {self.root}: no file names a species known to {where} ({', '.join(unknown[:5])}…); "
                              f"expected {LAYOUTS}, or a {METADATA_FILE} with file_name,pokedex_id")
        self.files = files
        return files

    def pokedex(self) -> list[Species]:
        meta_path = self.root / METADATA_FILE
        if meta_path.is_file() and not self._file_rows:
            by_id = self._from_metadata(meta_path)
            files = self._resolve({name_key(n): s.pokedex_id for s in by_id.values() for n in (*s.names.values(), s.identifier)},
                                  METADATA_FILE)
            ids = sorted({i for _, i in files})
            missing = [i for i in ids if i not in by_id]
            if missing:
                raise SourceError(f"{meta_path}: no row for Pokémon {missing}, which have cry files; add them")
            return [by_id[i] for i in ids]
        if not self._needs_names():  # every file named by Pokédex number: names and types from PokeAPI
            ids = sorted({i for _, i in self._resolve({}, "the PokeAPI CSVs")})
            try:
                return enrich([Species(i, f"pokemon-{i}", {}, generation=generation_of(i)) for i in ids], self)
            except (DownloadError, SourceError) as err:
                raise self._unavailable(err) from err
        try:
            reference = {s.pokedex_id: s for s in PokeapiSource(self.config, self.http).pokedex()}
        except (DownloadError, SourceError) as err:
            raise self._unavailable(err) from err
        names = {name_key(n): s.pokedex_id for s in reference.values() for n in (*s.names.values(), s.identifier)}
        ids = sorted({i for _, i in self._resolve(names, "the PokeAPI CSVs")})
        return [reference.get(i) or Species(i, f"pokemon-{i}", {}, generation=generation_of(i)) for i in ids]

    def _unavailable(self, err: Exception) -> SourceError:
        return SourceError(
            f"--folder {self.root}: no {METADATA_FILE} and the PokeAPI CSVs are unavailable ({err}); add a "
            f"{METADATA_FILE} with columns pokedex_id,name_en[,name_fr,…,types,generation,sprite_url] or fix --pokeapi-url"
        )

    def _needs_names(self) -> bool:
        return any(e.pokedex_id is None for e in self.entries)

    def _from_metadata(self, path: Path) -> dict[int, Species]:
        rows = _read_csv(path)
        if not rows or "pokedex_id" not in rows[0] or "name_en" not in rows[0]:
            raise SourceError(f"{path}: expected a CSV with at least the columns pokedex_id,name_en (or file_name,label)")
        by_id = {}
        for n, r in enumerate(rows, start=2):
            pid = _int(r["pokedex_id"])
            if pid is None:
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
        return by_id

    def cry_url(self, species: Species, rendition: str) -> str | None:
        if self.files is None:
            self.pokedex()
        return self.files.get((rendition, species.pokedex_id))

    def fetch(self, refs: list[CryRef]) -> dict[str, bytes | DownloadError]:
        out: dict[str, bytes | DownloadError] = {}
        for ref in refs:
            path = self.root / ref.url
            try:
                out[ref.url] = path.read_bytes()
            except OSError as err:
                out[ref.url] = DownloadError(ref.url, f"cannot read {path}: {err.strerror or err}")
        return out


def _read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _has_column(path: Path, column: str) -> bool:
    if not path.is_file():
        return False
    with path.open(newline="", encoding="utf-8-sig") as f:
        return column in (next(csv.reader(f), None) or [])


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
