"""Score the windows of concurrent requests together: one model call for every request waiting.

A CPU forward pass of a batch of N windows costs much less than N single passes, and a server handles
many recordings at once. :class:`MicroBatcher` runs the model on one worker thread; each request
prepares its own inputs (decoding, windows, features) in its own thread and queues them. Nothing waits for
a batch to fill: an idle model starts at once, and whatever arrives while it is busy shares its next call.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


class BusyError(RuntimeError):
    """Too many requests are waiting for the model; the caller should try again shortly."""


@dataclass
class _Job:
    inputs: object  # a tensor whose first dimension is the job's rows
    done: threading.Event = field(default_factory=threading.Event)
    result: np.ndarray | None = None
    error: BaseException | None = None


class MicroBatcher:
    """Runs ``fn(concatenated inputs) -> rows`` for all queued jobs at once, on one worker thread.

    ``max_rows``: rows per model call (a job bigger than that runs alone); ``max_waiting``: jobs queued
    at most, beyond which :meth:`__call__` raises :class:`BusyError` instead of letting latency grow.
    """

    def __init__(self, fn: Callable[[object], np.ndarray], max_rows: int = 32, max_waiting: int = 64):
        if max_rows < 1 or max_waiting < 1:
            raise ValueError(f"MicroBatcher: max_rows and max_waiting must be >= 1, got {max_rows}, {max_waiting}")
        self.fn, self.max_rows, self.max_waiting = fn, max_rows, max_waiting
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._carry: _Job | None = None
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self.calls = 0
        """Model calls made so far (a test and the benchmark read it)."""
        self.rows = 0
        """Rows scored so far."""

    def __call__(self, inputs) -> np.ndarray:
        """The rows of ``fn`` for ``inputs``, computed in a batch with whatever else is waiting."""
        with self._lock:
            if self._queue.qsize() >= self.max_waiting:
                raise BusyError(f"{self._queue.qsize()} requests are already waiting for the model")
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._serve, name="model-batcher", daemon=True)
                self._worker.start()
        job = _Job(inputs)
        self._queue.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _serve(self) -> None:
        while True:
            jobs = self._next_batch()
            try:
                out = self._run(jobs)
            except BaseException as err:  # handed to every waiting caller, the worker keeps serving
                for job in jobs:
                    job.error = err
                    job.done.set()
                continue
            start = 0
            for job in jobs:
                job.result, start = out[start : start + len(job.inputs)], start + len(job.inputs)
                job.done.set()

    def _next_batch(self) -> list[_Job]:
        """The first waiting job, then every other queued job while the rows fit."""
        jobs = [self._carry if self._carry is not None else self._queue.get()]
        self._carry = None
        rows = len(jobs[0].inputs)
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return jobs
            if rows + len(job.inputs) > self.max_rows:
                self._carry = job  # first in the next batch
                return jobs
            jobs.append(job)
            rows += len(job.inputs)

    def _run(self, jobs: list[_Job]) -> np.ndarray:
        import torch

        inputs = jobs[0].inputs if len(jobs) == 1 else torch.cat([job.inputs for job in jobs])
        out = self.fn(inputs)
        self.calls += 1
        self.rows += len(inputs)
        return out
