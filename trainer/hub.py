"""Push a finished model folder to the Hub through the project's one push (:func:`common.hub.push_folder`)."""

from __future__ import annotations

import os

from common import hub

IGNORE_PATTERNS = ["checkpoint-*", "checkpoint-*/**", "*.tmp", "runs/**", "training_args.bin"]
"""What a model push leaves out: checkpoints, temporary files, TensorBoard runs, the Trainer's arguments."""


def upload_model(folder: str | os.PathLike, repo_id: str, commit_message: str = "Upload who_tf_screamin model") -> str:
    """Create the model repo if needed and upload ``folder`` without its checkpoints; returns the commit URL."""
    return hub.push_folder(folder, repo_id, repo_type="model", commit_message=commit_message, ignore_patterns=IGNORE_PATTERNS)
