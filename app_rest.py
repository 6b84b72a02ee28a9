"""Plain HTTP routes beside Gradio's API: one request per answer, for curl users and the Live tab's recorder.

``POST /api/identify`` takes the recording itself as the request body (the raw file, or the field ``file`` of a
multipart form, what ``curl -F file=@cry.wav`` sends; ``?language=fr`` for display names) and answers the same
verdict JSON as Gradio's ``/identify``, through the same :func:`app.recognize` (gate, decoder bounds, log line).
``POST /api/live_chunk?token=…&rate=…&language=…&stop=0|1`` takes the Live tab's audio as raw little-endian
16-bit mono PCM and answers its status, card and history (:class:`app_live.LiveSessions`).
``GET /api/health`` answers ``{"status": "ready", "labels": n}`` (200) once the model is loaded and warm,
``{"status": "loading"}`` (503, ``Retry-After``) before, ``{"status": "no model", "error": …}`` (503) if it can't load.

Why beside Gradio's: Gradio's API answers a file in three requests (upload, call, event stream), and its own
work costs about 38 ms of CPU per answer on the 2-core dev machine, as much as the model's (a constant-answer
Gradio app, ``benchmarks/bench_app.py``'s floor). A plain route costs one request and a few ms.
Errors are JSON ``{"error": message, "title": title}``: 400 for the recording, 413 over the size limit,
503 busy (with ``Retry-After``), 500 for a bug (logged, never shown).
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import gradio as gr
from fastapi import Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from app_live import MAX_CHUNK_BYTES, LiveSessions
from frontend.audio import MAX_RECORDING_SECONDS
from recognizer.recording import MAX_UPLOAD_BYTES
from recognizer.serving import log_request

IDENTIFY_PATH = "/api/identify"
LIVE_CHUNK_PATH = "/api/live_chunk"
HEALTH_PATH = "/api/health"
FORM_OVERHEAD_BYTES = 64 * 1024
"""bytes. Room for a multipart form's headers and boundaries above the recording's own limit."""
STATUS_BY_TITLE = {"Busy": 503, "No model": 503, "Server error": 500}
"""HTTP status of a user-facing error, by its title; any other title is the request's fault (400)."""
SAFE_NAME = re.compile(r"[^\w.\- ]+")

Verdict = Callable[[str, str], dict]
"""(path of the recording, language) -> the verdict JSON; raises gr.Error with a user-facing message."""
Health = Callable[[], dict]
"""() -> {"status": "ready" | "loading" | "no model", ...}."""


class TooLarge(Exception):
    """The request body is over its limit (413)."""


def rest_routes(verdict: Verdict, live: LiveSessions, folder: Callable[[], Path], health: Health) -> list[APIRoute]:
    """The three routes, to put in front of Gradio's (``launch(app_kwargs={"routes": ...})``).

    ``folder`` gives the private upload folder; a recording is written there for the decoder and removed
    once answered.
    """

    async def identify(request: Request) -> JSONResponse:
        started = time.perf_counter()
        language = request.query_params.get("language", "en")
        try:
            name, audio, form_language = await read_recording_body(request)
        except TooLarge:
            return refused(IDENTIFY_PATH, started, 413, "Too large",
                           f"the upload is over the {MAX_UPLOAD_BYTES / 1e6:.0f} MB limit; upload a shorter recording "
                           f"(up to {MAX_RECORDING_SECONDS:.0f} s)")
        except ValueError as err:
            return refused(IDENTIFY_PATH, started, 400, "Bad request", str(err))
        workdir = folder() / f"api-{uuid.uuid4().hex}"
        workdir.mkdir(parents=True)
        try:
            path = workdir / name
            path.write_bytes(audio)
            answer = await run_in_threadpool(verdict, str(path), form_language or language)
        except gr.Error as err:
            return error_response(err.message, err.title or "Error", STATUS_BY_TITLE.get(err.title, 400))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return JSONResponse(answer)

    async def live_chunk(request: Request) -> JSONResponse:
        """Refusals leave a log line; accepted chunks (two a second per listener) do not."""
        started, query = time.perf_counter(), request.query_params
        try:
            pcm = await read_body(request, MAX_CHUNK_BYTES)
            rate = float(query.get("rate") or 0)
        except TooLarge:
            return refused(LIVE_CHUNK_PATH, started, 413, "Too large",
                           f"live chunk: over {MAX_CHUNK_BYTES} bytes of PCM; send at most 10 s")
        except ValueError:
            return refused(LIVE_CHUNK_PATH, started, 400, "Bad request",
                           f"live chunk: rate {query.get('rate')!r}; expected a number of Hz")
        stop = query.get("stop", "0").lower() in ("1", "true")
        try:
            answer = await run_in_threadpool(live.chunk, query.get("token", ""), pcm, rate, query.get("language", "en"), stop)
        except gr.Error as err:
            return refused(LIVE_CHUNK_PATH, started, STATUS_BY_TITLE.get(err.title, 400), err.title or "Error", err.message)
        return JSONResponse(answer)

    return [
        health_route(health),
        APIRoute(IDENTIFY_PATH, identify, methods=["POST"], include_in_schema=False),
        APIRoute(LIVE_CHUNK_PATH, live_chunk, methods=["POST"], include_in_schema=False),
    ]


def health_route(health: Health) -> APIRoute:
    """``GET /api/health``: 200 when ready, 503 while loading (with ``Retry-After``) or without a model."""

    async def ready() -> JSONResponse:
        state = health()
        if state["status"] == "ready":
            return JSONResponse(state)
        headers = {"Retry-After": "1"} if state["status"] == "loading" else None
        return JSONResponse(state, status_code=503, headers=headers)

    return APIRoute(HEALTH_PATH, ready, methods=["GET"], include_in_schema=False)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (TooLarge) as soon as it passes ``limit`` bytes: memory stays bounded."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > limit:
            raise TooLarge
    return bytes(body)


async def read_recording_body(request: Request) -> tuple[str, bytes, str | None]:
    """(file name, bytes, language from the form or None): a multipart form's ``file`` field, else the raw body."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return "recording", await read_body(request, MAX_UPLOAD_BYTES), None
    body = await read_body(request, MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES)

    async def replay() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1, max_fields=4)
    except Exception as err:  # starlette's MultiPartException, or a malformed form
        raise ValueError(f"the multipart form could not be read ({err}); send the recording as the field 'file'") from err
    try:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ValueError("no field 'file' in the form; send the recording as -F file=@cry.wav")
        language = form.get("language")
        return safe_name(upload.filename), await upload.read(), language if isinstance(language, str) else None
    finally:
        await form.close()


def safe_name(name: str | None) -> str:
    """The client's file name for messages and logs: its last part, odd characters removed (never a path)."""
    name = SAFE_NAME.sub("_", Path((name or "").replace("\\", "/")).name).strip(" .")[:100]
    return name or "recording"


def refused(path: str, started: float, status: int, title: str, message: str, name: str | None = None) -> JSONResponse:
    """The error answer of a request refused before the recogniser saw it, and its log line."""
    outcome = "busy" if status == 503 else "refused"
    log_request(path.lstrip("/"), outcome, message, time.perf_counter() - started, name)
    return error_response(message, title, status)


def error_response(message: str, title: str, status: int) -> JSONResponse:
    headers = {"Retry-After": "5"} if status == 503 else None
    return JSONResponse({"error": message, "title": title}, status_code=status, headers=headers)
