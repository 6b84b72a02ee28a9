"""Typed configuration of a build; the command line is parsed straight into these dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field

from common.files import default_cache_dir

POKEAPI_URL = "https://raw.githubusercontent.com/PokeAPI/pokeapi/master"
"""Stands in for the PokeAPI repository: CSVs under ``data/v2/csv/``."""
CRIES_URL = "https://raw.githubusercontent.com/PokeAPI/cries/main"
"""Stands in for the PokeAPI/cries repository: ``cries/pokemon/<latest|legacy>/<id>.ogg``."""
SPRITES_URL = "https://raw.githubusercontent.com/PokeAPI/sprites/master"
"""Stands in for the PokeAPI/sprites repository: ``sprites/pokemon/...``."""
POKEBIP_URL = "https://www.pokebip.com"
"""Pokébip: Pokédex pages under ``pokedex/<version>``, cries under ``audio/cris-sl/<number>.mp3``."""


def _help(text: str) -> dict:
    return {"help": text}


@dataclass
class SourceConfig:
    """Where the Pokédex and the cries come from, and which of them to take."""

    source: str = field(default="pokeapi", metadata=_help("Cry source: pokeapi (default), pokebip or folder."))
    pokeapi_url: str = field(default=POKEAPI_URL, metadata=_help("Base URL standing in for the PokeAPI repository (CSV export)."))
    cries_url: str = field(default=CRIES_URL, metadata=_help("Base URL standing in for the PokeAPI/cries repository."))
    sprites_url: str = field(default=SPRITES_URL, metadata=_help("Base URL of the PokeAPI/sprites repository for the sprite links the dataset records (not downloaded: keep it public)."))
    pokebip_url: str = field(default=POKEBIP_URL, metadata=_help("Base URL of pokebip.com (source pokebip)."))
    pokebip_version: str = field(default="rouge-bleu", metadata=_help("Pokébip Pokédex page, e.g. rouge-bleu."))
    folder: str | None = field(
        default=None,
        metadata=_help("Source folder: <pokedex_id>.<ogg|mp3|wav|flac> files (or <rendition>/<id>.<ext>), optional metadata.csv."),
    )
    ids: str | None = field(default=None, metadata=_help("National Pokédex numbers, e.g. 1-151,250 (default: all)."))
    generations: str | None = field(default=None, metadata=_help("Generations, e.g. 1,2 (default: all)."))
    renditions: str | None = field(
        default=None, metadata=_help("Cry renditions, e.g. latest,legacy (default: every one the source has).")
    )
    forms: bool = field(
        default=False,
        metadata=_help(
            "Also take the cries of the selected species' alternate forms (PokeAPI ids >= 10001, source pokeapi) as "
            "more originals of their species; a form without a cry file, or whose cry is its species' own, is skipped."
        ),
    )


@dataclass
class BuildConfig:
    """How the dataset is made and where it goes."""

    output: str = field(metadata=_help("Folder of the dataset (written atomically; load it with datasets.load_dataset)."))
    variants_per_cry: int = field(
        default=25, metadata=_help("Augmented + capture variants per original cry, over all splits (plus one clean copy per split).")
    )
    seed: int = field(default=0, metadata=_help("The one seed every random draw derives from."))
    num_proc: int = field(default=1, metadata=_help("Worker processes making variants."))
    holdout_rendition: str | None = field(
        default=None, metadata=_help("Put every variant of this rendition (e.g. legacy) in test only.")
    )
    validation_fraction: float = field(default=0.15, metadata=_help("Share of each original's variants in validation."))
    test_fraction: float = field(default=0.15, metadata=_help("Share of each original's variants in test."))
    capture_fraction: float = field(
        default=0.6, metadata=_help("Share of variants made with the full capture chain (the rest: the four augmentation families).")
    )
    min_snr_db: float = field(
        default=-5.0, metadata=_help("Lowest background SNR in dB (active level of the cry over the background's power).")
    )
    max_snr_db: float = field(default=30.0, metadata=_help("Highest background SNR in dB."))
    music_dir: str | None = field(
        default=None,
        metadata=_help("Folder of your own background music recordings (scripts/fetch_music.sh: data/music/train)."),
    )
    youtube_playlist: str | None = field(default=None, metadata=_help("YouTube playlist of background music (needs yt-dlp)."))
    procedural_backgrounds: bool = field(
        default=True, metadata=_help("Also use built-in procedural backgrounds (no download needed).")
    )
    holdout_family: str | None = field(
        default=None,
        metadata=_help(
            "Leave capture families out of the TRAIN split only (validation and test keep them), comma-separated "
            "family=value: codec=mp3|opus|aac|gsm|g711|phone|all, room=all, loudspeaker=all|equalizer, "
            "dynamics=all|agc|compressor, background=chiptune|noise|babble|music|youtube. E.g. codec=gsm."
        ),
    )
    measured_speakers: str | None = field(
        default=None,
        metadata=_help(
            "Folder of measured loudspeaker impulse responses (scripts/fetch_real_parts.sh: "
            "data/real-parts/loudspeakers/amps) that stand in for the drawn loudspeaker in a share of captures; "
            "the real-parts evaluation's held-out family (rigs/) is refused."
        ),
    )
    measured_speaker_probability: float = field(
        default=0.5, metadata=_help("With --measured-speakers: share of captures played through a measured response.")
    )
    compressor_reference: str = field(
        default="dbfs",
        metadata=_help(
            "What the capture chain's compressor threshold (-40 to -10 dB) is measured against: dbfs (full scale; "
            "a quiet capture passes under it) or peak (the capture's own peak: squeezed as hard at any level, as "
            "behind a phone's gain stage)."
        ),
    )
    no_cry_variants: int = field(
        default=0,
        metadata=_help(
            "Add a `no_cry` class with this many recordings without a cry (over all splits, shared out like a cry's "
            "variants): a stretch of the split's background sounds (music, talk, noise) where a cry would be, "
            "through the same capture chain. Teaches the model to say that there is no cry."
        ),
    )
    allow_missing: bool = field(default=False, metadata=_help("Skip cries that fail to download or validate instead of failing."))
    cache_dir: str = field(default_factory=lambda: str(default_cache_dir()), metadata=_help("Download cache; a rerun fetches nothing twice."))
    push_to_hub: str | None = field(default=None, metadata=_help("Upload the built dataset to this Hub repo id (endpoint: $HF_ENDPOINT)."))
    private: bool = field(default=False, metadata=_help("Create the Hub repository as private."))
    max_concurrency: int = field(default=8, metadata=_help("Parallel HTTP requests at most."))
    http_retries: int = field(default=4, metadata=_help("Retries (with exponential backoff) on connection errors, 429 and 5xx."))

    def __post_init__(self):
        if self.variants_per_cry < 0:
            raise ValueError(f"--variants-per-cry must be >= 0, got {self.variants_per_cry}")
        if self.no_cry_variants < 0:
            raise ValueError(f"--no-cry-variants must be >= 0, got {self.no_cry_variants}")
        if self.num_proc < 1:
            raise ValueError(f"--num-proc must be >= 1, got {self.num_proc}")
        for name in ("validation_fraction", "test_fraction", "capture_fraction", "measured_speaker_probability"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"--{name.replace('_', '-')} must be in [0, 1], got {getattr(self, name)}")
        if not -30.0 <= self.min_snr_db <= self.max_snr_db <= 80.0:
            raise ValueError(
                f"--min-snr-db {self.min_snr_db} / --max-snr-db {self.max_snr_db}: expected -30 <= min <= max <= 80 (dB)"
            )
        if self.compressor_reference not in ("dbfs", "peak"):
            raise ValueError(f"--compressor-reference {self.compressor_reference!r}: expected dbfs or peak")
        if self.holdout_family:
            from .variants import parse_holdouts  # numpy and the augment modules: only when the flag is given

            self.holdout_family = ",".join(parse_holdouts(self.holdout_family))
        if self.validation_fraction + self.test_fraction > 1.0:
            raise ValueError("--validation-fraction + --test-fraction must not exceed 1")
