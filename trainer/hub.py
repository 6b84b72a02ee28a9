"""Push a finished model folder to the Hub (endpoint from ``HF_ENDPOINT``, token from the usual places)."""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)

IGNORE_PATTERNS = ["checkpoint-*", "checkpoint-*/**", "*.tmp", "runs/**", "training_args.bin"]


def push_folder(folder: str | os.PathLike, repo_id: str, commit_message: str = "Upload who_tf_screamin model"):
    """Create ``repo_id`` if needed and upload ``folder`` (checkpoints left out); returns the commit info."""
    from huggingface_hub import HfApi

    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None)
    api.create_repo(repo_id, repo_type="model", exist_ok=True)
    info = api.upload_folder(
        repo_id=repo_id,
        folder_path=str(folder),
        repo_type="model",
        commit_message=commit_message,
        ignore_patterns=IGNORE_PATTERNS,
    )
    logger.info("pushed %s to %s", folder, repo_id)
    return info
