"""The dataset card (README.md): YAML metadata the Hub and ``load_dataset`` read, then how the data was made."""

from __future__ import annotations

import logging
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from .schema import CONDITIONS, NAME_LANGUAGES, SPLITS
from .writer import BUILD_MARKER

logger = logging.getLogger(__name__)

COPYRIGHT = (
    "The cries (and the sprites the `sprite_url` column points to) are © The Pokémon Company, Nintendo, "
    "Creatures Inc. and GAME FREAK inc.; PokeAPI distributes them (the compilation under CC0). They are "
    "shared here for research and fan use; no claim is made on them. Pokémon names are trademarks of Nintendo."
)
LICENSE_NAME = "pokemon-cries"
LICENSE_LINK = "https://github.com/PokeAPI/cries#readme"
"""Where the cries' terms are stated: PokeAPI's cry repository, the source the builder downloads from."""
ATTRIBUTION = {
    "pokeapi": "Cries from [PokeAPI/cries](https://github.com/PokeAPI/cries) and Pokédex data from "
    "[PokeAPI](https://pokeapi.co) (CC0 compilation).",
    "pokebip": "Cries and Pokédex pages from [Pokébip](https://www.pokebip.com); names from [PokeAPI](https://pokeapi.co).",
    "folder": "Cries from the builder's own folder of recordings (see the command below).",
}
PATH_FLAGS = ("--folder", "--music-dir", "--cache-dir", "--measured-speakers")


@dataclass
class CardInfo:
    """What the card reports about one build."""

    features: object
    counts: dict[str, dict[str, int]]
    """split → condition → rows."""
    policy_text: str
    command: str
    source: str
    source_urls: dict[str, str]
    n_species: int
    renditions: list[str]
    seed: int
    backgrounds: str
    missing: list[tuple[str, str]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    pitch_semitones: tuple[float, float] = (-1.0, 1.0)
    data_dir: Path | None = None
    """The written ``data/`` folder: its parquet files give each split's size in bytes."""
    form_cries: int = 0
    """Alternate forms' cries taken as more originals of their species (``--forms``)."""
    measured_speakers: str = ""
    """What ``--measured-speakers`` added to the capture chain ("" without it)."""
    compressor: str = ""
    """How the capture chain's compressor was set when not the default ("" with ``--compressor-reference dbfs``)."""


def split_bytes(data_dir: Path | None, split: str) -> tuple[int, int]:
    """``(num_bytes, download_size)`` of a split: uncompressed Arrow bytes and parquet file bytes (0, 0 without files)."""
    if data_dir is None:
        return 0, 0
    import pyarrow.parquet as pq

    files = sorted(Path(data_dir).glob(f"{split}-*.parquet"))
    arrow = 0
    for path in files:
        meta = pq.ParquetFile(path).metadata
        arrow += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return arrow, sum(p.stat().st_size for p in files)


def public_command(command: str) -> str:
    """The build command without the builder's local paths (only their last part is kept)."""
    args = shlex.split(command)
    for i, arg in enumerate(args[:-1]):
        if arg in PATH_FLAGS:
            args[i + 1] = Path(args[i + 1]).name or "DIR"
    return shlex.join(args)


def public_url(url: str) -> str:
    """A source URL fit for a public card: a local ``file://`` or absolute path is reduced to its file name."""
    if url.startswith("file://") or url.startswith("/"):
        return Path(url.removeprefix("file://")).name
    return url


def variant_warnings(counts: dict[str, dict[str, int]]) -> list[str]:
    """A sentence for each split that got clean copies only (too few variants per cry to share out)."""
    out = []
    for split in SPLITS:
        c = counts.get(split, {})
        if sum(c.values()) and not sum(v for k, v in c.items() if k != "clean"):
            out.append(f"Split `{split}` holds clean copies only: no variant was drawn for it (raise the number of "
                       "variants per cry); its scores say nothing about a microphone.")
            logger.warning("split %r got no variants, only %d clean copies", split, c.get("clean", 0))
    return out


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def card_yaml(info: CardInfo) -> str:
    """YAML front matter: configs pointing at ``data/<split>-*`` plus ``dataset_info`` with the features."""
    from datasets import DatasetInfo, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    total = sum(sum(c.values()) for c in info.counts.values())
    data = DatasetCardData(
        pretty_name="Pokémon cries, as a phone hears them",
        license="other",
        license_name=LICENSE_NAME,
        license_link=LICENSE_LINK,
        language=sorted({lang.split("-")[0] for lang in NAME_LANGUAGES}),
        task_categories=["audio-classification"],
        tags=["pokemon", "audio", "cries", BUILD_MARKER],
        size_categories=[size_category(total)],
    )
    splits, download = SplitDict(), 0
    for split in SPLITS:
        if split in info.counts:
            num_bytes, size = split_bytes(info.data_dir, split)
            splits.add(SplitInfo(name=split, num_bytes=num_bytes, num_examples=sum(info.counts[split].values())))
            download += size
    MetadataConfigs({"default": {"data_files": [{"split": s, "path": f"data/{s}-*"} for s in SPLITS if s in info.counts]}}).to_dataset_card_data(data)
    dataset_size = sum(s.num_bytes for s in splits.values())
    DatasetInfosDict({"default": DatasetInfo(features=info.features, splits=splits, download_size=download,
                                             dataset_size=dataset_size)}).to_dataset_card_data(data)
    return data.to_yaml()


def build_section(info: CardInfo) -> list[str]:
    """How the dataset was built (command, source, seed, software, left-out cries), then license and attribution."""
    lines = [
        "## How it was built",
        "",
        "```",
        public_command(info.command),
        "```",
        "",
        f"- Source: `{info.source}` — " + ", ".join(f"{k}: {public_url(v)}" for k, v in info.source_urls.items()),
        f"- Seed: {info.seed} (the same command gives a byte-identical dataset).",
        f"- Backgrounds: {info.backgrounds}",
    ]
    if info.measured_speakers:
        lines.append(f"- Measured loudspeakers: {info.measured_speakers}")
    if info.compressor:
        lines.append(f"- Compressor: {info.compressor}")
    if info.versions:
        lines.append("- Software: " + ", ".join(f"{k} {v}" for k, v in sorted(info.versions.items())))
    if info.missing:
        lines += ["", f"Left out (`--allow-missing`), {len(info.missing)} cries:", ""]
        lines += [f"- {public_url(url)}: {reason}" for url, reason in info.missing]
    lines += ["", "## License and attribution", "", ATTRIBUTION.get(info.source, ATTRIBUTION["folder"]), "",
              f"License: `other` ({LICENSE_NAME}), terms at {LICENSE_LINK}. {COPYRIGHT}", ""]
    return lines


def _forms_text(n: int) -> str:
    return f", plus {n} cr{'y of an alternate form' if n == 1 else 'ies of alternate forms'}, each labelled as its species"


def render_card(info: CardInfo) -> str:
    """The whole README.md."""
    lines = ["---", card_yaml(info).strip(), "---", "", "# Pokémon cries, as a phone hears them", ""]
    lines += [
        f"Cries of {info.n_species} Pokémon species ({', '.join(info.renditions)} renditions"
        + (_forms_text(info.form_cries) if info.form_cries else "")
        + "), each as a clean copy and "
        "as variants made the way a phone hears a game, a TV or a speaker: time stretch, pitch shift "
        f"({info.pitch_semitones[0]:+g} to {info.pitch_semitones[1]:+g} semitones, small so evolution lines that share a "
        "base cry stay apart), high/low-pass filters and background sound at a drawn SNR, then a "
        "capture chain (loudspeaker band-limit and distortion, simulated room reverberation, microphone noise and "
        "colouring, gain and clipping, lossy codecs, the cry placed inside a longer recording). Made by the "
        f"`{BUILD_MARKER}` dataset builder.",
        "",
        "## Load it",
        "",
        "```python",
        "from datasets import load_dataset",
        'ds = load_dataset("PATH_OR_REPO_ID")  # this folder (offline) or its Hub copy',
        'row = ds["train"][0]',
        'row["audio"]["array"], ds["train"].features["label"].int2str(row["label"])',
        "```",
        "",
        "The folder uses the Hub's parquet layout (`data/<split>-*.parquet` + this card): `datasets.load_dataset` reads it "
        "locally exactly like the Hub copy; `datasets.load_from_disk` does not (it expects `save_to_disk`'s layout).",
        "",
        "## Splits",
        "",
        info.policy_text,
        "",
        *[line for w in variant_warnings(info.counts) for line in (f"> **Warning:** {w}", "")],
        "| split | " + " | ".join(CONDITIONS) + " | total |",
        "| --- | " + " | ".join("---:" for _ in CONDITIONS) + " | ---: |",
    ]
    for split in SPLITS:
        c = info.counts.get(split, {})
        lines.append(f"| {split} | " + " | ".join(str(c.get(k, 0)) for k in CONDITIONS) + f" | {sum(c.values())} |")
    lines += [
        "",
        "## Columns",
        "",
        "- `audio`: 16 kHz mono (16-bit WAV); `label`: ClassLabel whose names are the English species names.",
        "- `pokedex_id`, `name_<lang>` (" + ", ".join(NAME_LANGUAGES) + "; the English name when a language lacks one), "
        "`types`, `generation`, `rendition`, `sprite_url`, `source_url` (the original cry).",
        "- `condition` (clean / augmented / capture), `background_kind`, `background_id`, `snr_db`, and `recipe`: JSON with "
        "every drawn parameter and the variant's random stream (`stream`: seed, split, cry id, rendition, index; the cry id is the Pokédex id, or a form's PokeAPI id).",
        "",
    ]
    lines += build_section(info)
    return "\n".join(lines)
