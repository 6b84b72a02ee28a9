"""The micro-batcher shares model calls between concurrent requests and hands every caller its own rows."""

import threading
import time

import numpy as np
import pytest
import torch

from recognizer.batching import BusyError, MicroBatcher


def _slow_double(seen: list[int], delay: float = 0.05):
    def fn(inputs):
        seen.append(len(inputs))
        time.sleep(delay)  # the model is busy: whoever arrives meanwhile joins the next call
        return (2 * inputs).numpy()

    return fn


def _call_concurrently(batcher, inputs: list[torch.Tensor]) -> list[np.ndarray]:
    results: list = [None] * len(inputs)

    def work(i):
        results[i] = batcher(inputs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_concurrent_requests_share_calls_and_get_their_own_rows():
    seen: list[int] = []
    batcher = MicroBatcher(_slow_double(seen), max_rows=64)
    inputs = [torch.full((1 + i % 3, 2), float(i)) for i in range(12)]
    results = _call_concurrently(batcher, inputs)
    for i, out in enumerate(results):
        np.testing.assert_array_equal(out, 2 * inputs[i].numpy())
    assert sum(seen) == sum(len(x) for x in inputs) == batcher.rows
    assert batcher.calls == len(seen) < len(inputs), f"no batching: {seen}"


def test_batches_respect_max_rows():
    seen: list[int] = []
    batcher = MicroBatcher(_slow_double(seen), max_rows=4)
    _call_concurrently(batcher, [torch.ones(2, 1) for _ in range(8)] + [torch.ones(6, 1)])
    assert max(seen) <= 6 and all(n <= 4 for n in seen if n != 6)  # a 6-row job runs alone


def test_an_error_reaches_the_callers_and_the_worker_keeps_serving():
    def fn(inputs):
        if (inputs < 0).any():
            raise RuntimeError("negative input")
        return inputs.numpy()

    batcher = MicroBatcher(fn)
    with pytest.raises(RuntimeError, match="negative input"):
        batcher(torch.tensor([[-1.0]]))
    np.testing.assert_array_equal(batcher(torch.tensor([[3.0]])), [[3.0]])


def test_too_many_waiting_is_busy():
    release = threading.Event()

    def fn(inputs):
        release.wait(10)
        return inputs.numpy()

    batcher = MicroBatcher(fn, max_waiting=2)
    threads = [threading.Thread(target=batcher, args=(torch.ones(1, 1),)) for _ in range(3)]
    for t in threads:  # one runs, two wait
        t.start()
        time.sleep(0.2)
    with pytest.raises(BusyError, match="waiting"):
        batcher(torch.ones(1, 1))
    release.set()
    for t in threads:
        t.join(10)
    with pytest.raises(ValueError, match="max_rows"):
        MicroBatcher(fn, max_rows=0)
