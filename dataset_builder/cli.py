"""``python -m dataset_builder``: parse the flags into the config dataclasses and run a build."""

from __future__ import annotations

import logging
import sys

from .config import BuildConfig, SourceConfig


def parse_args(argv: list[str] | None = None) -> tuple[SourceConfig, BuildConfig]:
    from transformers import HfArgumentParser

    parser = HfArgumentParser((SourceConfig, BuildConfig), prog="python -m dataset_builder", description=__doc__)
    source_config, build_config = parser.parse_args_into_dataclasses(args=argv, look_for_args_file=False)
    return source_config, build_config


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 built, 1 a build error with its reason on stderr)."""
    from .build import BuildError, build
    from .http import DownloadError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        source_config, build_config = parse_args(argv)
    except ValueError as err:  # __post_init__ range checks
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        result = build(source_config, build_config)
    except (BuildError, DownloadError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"built {result.rows} rows in {result.seconds:.1f} s → {result.output}")
    for split, counts in result.counts.items():
        print(f"  {split:<10} " + "  ".join(f"{k}={v}" for k, v in counts.items()) + f"  total={sum(counts.values())}")
    if result.hub_url:
        print(f"pushed: {result.hub_url}")
    return 0
