"""Checks run before any training, like ``run_audio_classification.py``'s: the output folder and the Hub push.

An hour of training must not end in a traceback that could have been seen in a second: a non-empty
``--output-dir`` (whose stale checkpoints a later resume would pick up) and a ``--push-to-hub`` that cannot
succeed (no token, a bad repository id, the Hub unreachable at ``HF_ENDPOINT``) are refused up front.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from common.hub import hub_endpoint

logger = logging.getLogger(__name__)

HUB_TIMEOUT_S = 15.0
"""Seconds the Hub check waits for an answer (huggingface_hub's own requests have no timeout)."""


class RunError(ValueError):
    """The run cannot start as asked (output folder, Hub push); the message says what to do."""


def wants_resume(value) -> bool:
    """``--resume-from-checkpoint`` asks for a resume (a path, or true/last)."""
    return bool(value) and str(value).lower() not in ("false", "0", "no")


def check_output_dir(output_dir: str, overwrite: bool, resume, is_main: bool = True) -> None:
    """Refuse a non-empty ``output_dir`` unless ``overwrite`` (its old checkpoints are then deleted) or a resume."""
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise RunError(f"--output-dir {out}: is a file; expected a folder to write the model into")
    entries = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    if not entries or wants_resume(resume):
        return
    if not overwrite:
        shown = ", ".join(entries[:4]) + ("…" if len(entries) > 4 else "")
        raise RunError(
            f"--output-dir {out}: is not empty ({shown}); pass --overwrite-output-dir to train into it anyway (its "
            "checkpoint-N folders are deleted), --resume-from-checkpoint true to continue the run it holds, or "
            "choose another folder"
        )
    stale = [out / name for name in entries if name.startswith("checkpoint-") and (out / name).is_dir()]
    if is_main and stale:
        logger.warning("--overwrite-output-dir: deleting %d old checkpoint folder(s) in %s", len(stale), out)
        for folder in stale:
            shutil.rmtree(folder)


def preflight(targs, is_main: bool = True) -> None:
    """Every check that needs no dataset or model: the output folder, then the Hub push."""
    check_output_dir(targs.output_dir, targs.overwrite_output_dir, targs.resume_from_checkpoint, is_main=is_main)
    if targs.push_to_hub_repo:
        check_push_target(targs.push_to_hub_repo)


def check_push_target(repo_id: str, timeout: float = HUB_TIMEOUT_S) -> str:
    """Check a push to ``repo_id`` can succeed (id, token, Hub reachable, write access); returns the user name."""
    from huggingface_hub import constants, get_token
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    endpoint, flag = hub_endpoint(), f"--push-to-hub {repo_id}"
    try:
        validate_repo_id(repo_id)
    except HFValidationError as err:
        raise RunError(f"{flag}: not a valid Hugging Face Hub repository id ({err}); expected user/name") from None
    if constants.is_offline_mode():
        raise RunError(f"{flag}: the Hugging Face Hub is switched off here (HF_HUB_OFFLINE=1); unset it or drop --push-to-hub")
    token = get_token()
    if not token:
        raise RunError(
            f"{flag}: no Hugging Face Hub token; log in (`hf auth login`) or set HF_TOKEN, or drop --push-to-hub"
        )
    who = _whoami(endpoint, token, timeout, flag)
    role = (who.get("auth", {}).get("accessToken") or {}).get("role")
    if role == "read":
        raise RunError(f"{flag}: the Hugging Face Hub token is read-only; use a token with write access")
    owners = {who.get("name"), *(o.get("name") for o in who.get("orgs") or [])}
    namespace = repo_id.split("/")[0] if "/" in repo_id else who.get("name")
    if namespace not in owners:
        raise RunError(
            f"{flag}: the Hugging Face Hub user {who.get('name')!r} cannot write to {namespace!r}; expected one of "
            f"{', '.join(sorted(o for o in owners if o))}"
        )
    return str(who.get("name"))


def _whoami(endpoint: str, token: str, timeout: float, flag: str) -> dict:
    """``GET /api/whoami-v2`` with a timeout, every failure turned into one :class:`RunError` naming the Hub."""
    from huggingface_hub.utils import build_hf_headers, get_session

    url = f"{endpoint}/api/whoami-v2"
    try:
        response = get_session().get(url, headers=build_hf_headers(token=token), timeout=timeout)
    except Exception as err:  # httpx connect/timeout errors, OfflineModeIsEnabled, proxies: all mean "unreachable"
        raise RunError(
            f"{flag}: cannot reach the Hugging Face Hub at {endpoint} ({type(err).__name__}: {err}); check the "
            "network or HF_ENDPOINT, or drop --push-to-hub (checked before training: nothing was trained)"
        ) from None
    if response.status_code == 401:
        raise RunError(f"{flag}: the Hugging Face Hub at {endpoint} rejected the token (HTTP 401); log in again (`hf auth login`)")
    if response.status_code != 200:
        raise RunError(f"{flag}: the Hugging Face Hub at {endpoint} answered HTTP {response.status_code} to {url}")
    try:
        return response.json()
    except ValueError:
        raise RunError(f"{flag}: {url} did not answer JSON; is HF_ENDPOINT ({endpoint}) a Hugging Face Hub?") from None
