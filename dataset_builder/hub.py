"""Publishes a built dataset folder to the Hugging Face Hub as is (its parquet files and card)."""

from __future__ import annotations

import os
from pathlib import Path

from common import hub


def push_dataset(folder: str | os.PathLike, repo_id: str, private: bool = False, token: str | None = None) -> str:
    """Create the dataset repo if needed and upload ``folder``; returns the commit URL.

    The endpoint is ``$HF_ENDPOINT`` (default huggingface.co), the token ``$HF_TOKEN`` or the cached login.
    Shards of an earlier push that this build no longer has are deleted in the same commit.
    """
    folder = Path(folder)
    if not (folder / "README.md").is_file() or not (folder / "data").is_dir():
        raise ValueError(f"{folder}: not a built dataset (expected README.md and data/); build it before pushing")
    return hub.push_folder(
        folder,
        repo_id,
        repo_type="dataset",
        commit_message="Build the Pokémon cry dataset (who_tf_screamin dataset builder)",
        private=private,
        token=token,
        delete_patterns=["data/*"],
    )
