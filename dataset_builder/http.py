"""HTTP for every source: one ``requests.Session``, retries with backoff, bounded concurrency, an on-disk cache.

A file fetched once is read from the cache afterwards, so a rerun (or a resumed build after a failure)
downloads nothing it already has. Cache writes are atomic: a killed build never leaves a truncated file.
A ``file://`` URL is read from disk (not cached): a local mirror such as ``../shared/pokeapi`` serves as a base URL.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from common.files import atomic_write

USER_AGENT = "who_tf_screamin-dataset-builder/0.1 (+https://github.com/who-tf-screamin; Pokémon cry dataset builder)"
RETRY_STATUSES = (429, 500, 502, 503, 504)


class DownloadError(RuntimeError):
    """A URL could not be fetched; ``reason`` is short enough for a failure list."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass
class HttpConfig:
    """How the builder talks to the sources' hosts."""

    cache_dir: str | None = None
    """Folder of the on-disk cache; ``None`` disables it."""
    timeout_s: float = 30.0
    retries: int = 4
    """Retries on connection errors, 429 and 5xx (with exponential backoff, honouring Retry-After)."""
    backoff_s: float = 0.5
    """First backoff; it doubles on each retry."""
    max_concurrency: int = 8
    """Parallel requests at most, so a public host is not hammered."""
    user_agent: str = USER_AGENT


class HttpClient:
    """Cached, retrying, polite GETs. Thread-safe; ``requests`` counts the requests actually sent."""

    def __init__(self, config: HttpConfig | None = None):
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.config = config or HttpConfig()
        self.requests = 0
        self._lock = threading.Lock()
        self._dead_hosts: dict[str, str] = {}
        retry = Retry(
            total=self.config.retries,
            connect=self.config.retries,
            read=self.config.retries,
            status=self.config.retries,
            backoff_factor=self.config.backoff_s,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=max(self.config.max_concurrency, 1))
        self.session = requests.Session()
        self.session.headers["User-Agent"] = self.config.user_agent
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def cache_path(self, url: str) -> Path | None:
        """Where ``url`` lives in the cache: ``<cache>/http/<host>/<path>`` (readable), hashed when odd."""
        if not self.config.cache_dir:
            return None
        parts = urlsplit(url)
        host = re.sub(r"[^A-Za-z0-9.-]", "_", parts.netloc) or "local"
        path = parts.path.strip("/") or "index"
        safe = "/".join(re.sub(r"[^A-Za-z0-9._-]", "_", p) for p in path.split("/") if p not in ("", ".", ".."))
        if parts.query or len(safe) > 200 or safe.endswith("/") or not safe:
            digest = hashlib.sha256(url.encode()).hexdigest()[:16]
            safe = f"{safe[:100]}-{digest}"
        return Path(self.config.cache_dir) / "http" / host / safe

    def get(self, url: str) -> bytes:
        """The body of ``url`` (from the cache when there; a ``file://`` URL from disk); raises :class:`DownloadError`."""
        if urlsplit(url).scheme == "file":
            return _read_local(url)
        cached = self.cache_path(url)
        if cached is not None and cached.is_file():
            return cached.read_bytes()
        body = self._fetch(url)
        if cached is not None:
            atomic_write(cached, body)
        return body

    def get_many(self, urls: Iterable[str], progress: str | None = None) -> dict[str, bytes | DownloadError]:
        """Fetch many URLs with at most ``max_concurrency`` in flight; failures are returned, not raised."""
        urls = list(dict.fromkeys(urls))

        def one(url: str) -> bytes | DownloadError:
            try:
                return self.get(url)
            except DownloadError as err:
                return err

        with ThreadPoolExecutor(max_workers=max(self.config.max_concurrency, 1)) as pool:
            results = pool.map(one, urls)
            if progress:
                from tqdm.auto import tqdm

                results = tqdm(results, total=len(urls), desc=progress, unit="file")
            return dict(zip(urls, results, strict=True))

    def _fetch(self, url: str) -> bytes:
        import requests

        host = urlsplit(url).netloc
        if urlsplit(url).scheme not in ("http", "https"):
            raise DownloadError(url, "not an http(s) or file URL; expected a base URL like https://host/path")
        if host in self._dead_hosts:
            raise DownloadError(url, f"host {host} unreachable ({self._dead_hosts[host]})")
        with self._lock:
            self.requests += 1
        try:
            response = self.session.get(url, timeout=self.config.timeout_s)
        except requests.exceptions.RetryError as err:
            raise DownloadError(url, f"gave up after {self.config.retries} retries ({_first_line(err)})") from err
        except requests.exceptions.ConnectionError as err:
            reason = f"cannot connect to {host}: {_first_line(err)}"
            self._dead_hosts[host] = "connection failed earlier in this run"
            raise DownloadError(url, reason + "; check the base URL flag and your network") from err
        except requests.exceptions.RequestException as err:
            raise DownloadError(url, f"{type(err).__name__}: {_first_line(err)}") from err
        if response.status_code != 200:
            raise DownloadError(url, f"HTTP {response.status_code} {response.reason or ''}".strip())
        return response.content


def _read_local(url: str) -> bytes:
    """The bytes of a ``file://`` URL's file; a :class:`DownloadError` naming it when it is not a readable file."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise DownloadError(url, f"file URL on host {parts.netloc!r}; expected file:///absolute/path")
    path = Path(url2pathname(parts.path))
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise DownloadError(url, f"no such file {path}") from err
    except OSError as err:
        raise DownloadError(url, f"cannot read {path}: {err.strerror or type(err).__name__}") from err


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:300] if text else type(err).__name__
