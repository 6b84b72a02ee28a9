"""The HTTP client: cache, retries with backoff, errors that name the URL, bounded concurrency, User-Agent."""

from __future__ import annotations

import socket
import threading
import time

import pytest

import common.files
from dataset_builder.http import USER_AGENT, DownloadError, HttpClient, HttpConfig


def client(tmp_path, **kw) -> HttpClient:
    return HttpClient(HttpConfig(cache_dir=str(tmp_path / "cache"), backoff_s=0.01, retries=3, timeout_s=5, **kw))


def test_get_caches_so_a_second_get_sends_nothing(httpserver, tmp_path):
    httpserver.expect_request("/a/b.ogg").respond_with_data(b"payload")
    c = client(tmp_path)
    url = httpserver.url_for("/a/b.ogg")
    assert c.get(url) == b"payload"
    assert c.get(url) == b"payload"
    assert len(httpserver.log) == 1 and c.requests == 1
    # A new client (a rerun) reads the same cache.
    assert client(tmp_path).get(url) == b"payload"
    assert len(httpserver.log) == 1
    assert c.cache_path(url).read_bytes() == b"payload"


def test_sends_a_descriptive_user_agent(httpserver, tmp_path):
    httpserver.expect_request("/ua", headers={"User-Agent": USER_AGENT}).respond_with_data(b"ok")
    assert client(tmp_path).get(httpserver.url_for("/ua")) == b"ok"
    assert "who_tf_screamin" in USER_AGENT


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_transient_statuses_then_succeeds(httpserver, tmp_path, status):
    httpserver.expect_oneshot_request("/flaky").respond_with_data("busy", status=status, headers={"Retry-After": "0"})
    httpserver.expect_oneshot_request("/flaky").respond_with_data("busy", status=status)
    httpserver.expect_request("/flaky").respond_with_data(b"finally")
    assert client(tmp_path).get(httpserver.url_for("/flaky")) == b"finally"
    assert len(httpserver.log) == 3


def test_gives_up_after_the_retries_with_the_status_in_the_reason(httpserver, tmp_path):
    httpserver.expect_request("/down").respond_with_data("down", status=503)
    with pytest.raises(DownloadError) as err:
        client(tmp_path).get(httpserver.url_for("/down"))
    assert err.value.url.endswith("/down") and "503" in str(err.value)
    assert len(httpserver.log) == 4  # 1 try + 3 retries
    assert not any((tmp_path / "cache").rglob("down")), "a failure must not be cached"


def test_404_is_not_retried_and_names_the_url(httpserver, tmp_path):
    httpserver.expect_request("/missing.ogg").respond_with_data("no", status=404)
    url = httpserver.url_for("/missing.ogg")
    with pytest.raises(DownloadError, match="HTTP 404") as err:
        client(tmp_path).get(url)
    assert err.value.url == url and url in str(err.value)
    assert len(httpserver.log) == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_host_is_a_clear_error_and_is_not_retried_for_every_file(tmp_path):
    c = client(tmp_path)
    base = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(DownloadError, match="cannot connect to 127.0.0.1"):
        c.get(f"{base}/1.ogg")
    start = time.perf_counter()
    results = c.get_many([f"{base}/{i}.ogg" for i in range(2, 20)])
    assert time.perf_counter() - start < 1.0
    assert all(isinstance(r, DownloadError) and "unreachable" in r.reason for r in results.values())


def test_non_http_url_is_rejected(tmp_path):
    with pytest.raises(DownloadError, match="not an http"):
        client(tmp_path).get("ftp://example.org/x")


def test_file_url_reads_a_local_mirror_without_caching_or_requests(tmp_path):
    mirror = tmp_path / "mirror" / "data"
    mirror.mkdir(parents=True)
    (mirror / "x.csv").write_bytes(b"id\n1\n")
    c = client(tmp_path)
    url = (mirror / "x.csv").as_uri()
    assert c.get(url) == b"id\n1\n"
    assert c.requests == 0 and not (tmp_path / "cache").exists()
    (mirror / "x.csv").write_bytes(b"id\n2\n")  # read afresh: a local file is its own cache
    assert c.get(url) == b"id\n2\n"
    with pytest.raises(DownloadError, match="no such file") as err:
        c.get((mirror / "missing.csv").as_uri())
    assert "missing.csv" in str(err.value)
    with pytest.raises(DownloadError, match="host"):
        c.get("file://example.org/x.csv")


def test_get_many_returns_failures_instead_of_raising(httpserver, tmp_path):
    httpserver.expect_request("/ok").respond_with_data(b"1")
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    out = client(tmp_path).get_many([httpserver.url_for("/ok"), httpserver.url_for("/gone"), httpserver.url_for("/ok")])
    assert list(out) == [httpserver.url_for("/ok"), httpserver.url_for("/gone")]
    assert out[httpserver.url_for("/ok")] == b"1"
    assert isinstance(out[httpserver.url_for("/gone")], DownloadError)


def test_concurrency_is_bounded(tmp_path):
    c = HttpClient(HttpConfig(cache_dir=None, max_concurrency=3))
    lock, state = threading.Lock(), {"now": 0, "max": 0}

    class Response:
        status_code, reason, content = 200, "OK", b"x"

    def fake_get(url, timeout):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.02)
        with lock:
            state["now"] -= 1
        return Response()

    c.session.get = fake_get
    out = c.get_many([f"http://h/{i}" for i in range(24)])
    assert len(out) == 24 and state["max"] == 3


def test_cache_writes_are_atomic(httpserver, tmp_path, monkeypatch):
    httpserver.expect_request("/big").respond_with_data(b"0123456789")
    c = client(tmp_path)

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(common.files.os, "replace", crash)  # the one atomic write the cache uses
    with pytest.raises(OSError, match="disk full"):
        c.get(httpserver.url_for("/big"))
    cached = c.cache_path(httpserver.url_for("/big"))
    assert not cached.exists() and not list(cached.parent.iterdir()), "no partial file may be left behind"


def test_cache_paths_are_readable_and_distinct(tmp_path):
    c = client(tmp_path)
    a = c.cache_path("https://raw.githubusercontent.com/PokeAPI/cries/main/cries/pokemon/latest/25.ogg")
    b = c.cache_path("https://raw.githubusercontent.com/PokeAPI/cries/main/cries/pokemon/legacy/25.ogg")
    q = c.cache_path("https://example.org/page?x=1")
    assert a != b and a.name == "25.ogg" and "legacy" in b.parts
    assert q.is_relative_to(tmp_path / "cache") and ".." not in c.cache_path("http://h/../../etc/passwd").parts
    assert HttpClient(HttpConfig(cache_dir=None)).cache_path("http://h/x") is None
