"""The Hugging Face Hub: telling a local folder from a Hub id, and pushing a finished folder.

The endpoint is ``$HF_ENDPOINT`` (default huggingface.co) and the token ``$HF_TOKEN`` or the cached login,
so a mirror or a local test server works the same.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)


def looks_local(source: str) -> bool:
    """A path rather than a Hub id: ``name`` and ``user/name`` are Hub ids (as in ``from_pretrained``);
    a leading ``.``, ``/`` or ``~``, a backslash or more than one slash make it a path."""
    return source.startswith((".", "/", "~")) or source.count("/") > 1 or "\\" in source


DEFAULT_ENDPOINT = "https://huggingface.co"


def hub_endpoint() -> str:
    """The Hub every push, check and link goes to: ``$HF_ENDPOINT``, else huggingface.co (no trailing slash)."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def push_folder(
    folder: str | os.PathLike,
    repo_id: str,
    *,
    repo_type: str,
    commit_message: str,
    private: bool = False,
    token: str | None = None,
    ignore_patterns: list[str] | None = None,
    delete_patterns: list[str] | None = None,
) -> str:
    """Create ``repo_id`` if needed and upload ``folder`` in one commit; returns the commit URL."""
    from huggingface_hub import HfApi

    api = HfApi(endpoint=hub_endpoint(), token=token)
    api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True)
    commit = api.upload_folder(
        repo_id=repo_id,
        repo_type=repo_type,
        folder_path=str(folder),
        commit_message=commit_message,
        ignore_patterns=ignore_patterns,
        delete_patterns=delete_patterns,
    )
    logger.info("pushed %s to %s (%s)", folder, repo_id, repo_type)
    return str(getattr(commit, "commit_url", commit))
