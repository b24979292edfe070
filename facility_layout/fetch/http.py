"""Downloads that survive a rural office's connection: cache, resume, retry, and a clear message when offline.

Every response is cached on disk under a key of its method, URL and body, so a second ``fetch`` of the same
place reads nothing from the network. A body is written to ``<key>.part`` while it arrives and renamed to
``<key>`` only when complete; a dropped connection resumes from the partial file with an HTTP ``Range``
request. Connection errors, 429 and 5xx responses are retried with exponential back-off, honouring the
server's ``Retry-After``. Progress goes to stderr.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from facility_layout.errors import FacilityLayoutError, Message
from facility_layout.i18n import DEFAULT_LANGUAGE, translator

USER_AGENT = "facility-layout/0.1 (rural health facility planning; https://pypi.org/project/facility-layout/)"
_CHUNK = 1 << 16
_RETRY_STATUSES = {429, 500, 502, 503, 504}


class FetchError(FacilityLayoutError):
    """A download failed for good: names the URL, the setting that chooses it and the fix."""


@dataclass(frozen=True)
class Endpoint:
    """Where a source is downloaded from, and how the planner points it at a mirror."""

    name: str
    url: str
    option: str  # the command-line option, e.g. --overpass-url
    env: str  # the environment variable, e.g. FACILITY_LAYOUT_OVERPASS_URL


@dataclass
class Downloader:
    """Fetches URLs into an on-disk cache.

    Parameters
    ----------
    cache_dir : Path
        Folder of cached responses (created when needed).
    retries : int
        Attempts after the first one, for connection errors, 429 and 5xx.
    backoff_s : float
        First wait between attempts; doubles each time (a ``Retry-After`` header overrides it).
    max_wait_s : float
        Longest single wait, whatever the server asks for.
    timeout_s : float
        Socket timeout of one attempt.
    progress : TextIO
        Where progress lines go (default: stderr at the time of writing).
    language : str
        The language of the progress lines (one of :data:`facility_layout.i18n.LANGUAGES`).
    sleep : callable
        ``time.sleep``; the waits it was asked for are recorded in ``waits``.
    """

    cache_dir: Path
    retries: int = 5
    backoff_s: float = 1.0
    max_wait_s: float = 120.0
    timeout_s: float = 120.0
    progress: TextIO | None = None
    language: str = DEFAULT_LANGUAGE
    sleep: Callable[[float], None] = time.sleep
    waits: list[float] = field(default_factory=list)

    def get(self, endpoint: Endpoint, url: str, params: dict[str, str] | None = None, data: str | None = None) -> Path:
        """The cached file of ``url`` (with query ``params``, or POSTed form ``data``), downloading it if needed.

        Raises
        ------
        FetchError
            When the server cannot be reached or keeps failing after every retry, or refuses the request.
        """
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"
        body = urllib.parse.urlencode({"data": data}).encode() if data is not None else None
        key = hashlib.sha256(f"{'POST' if body else 'GET'} {url}\n".encode() + (body or b"")).hexdigest()
        target = self.cache_dir / key
        if target.is_file():
            self._say(Message("{name}: cached {url}", name=endpoint.name, url=_short(url)))
            return target
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        for attempt in range(self.retries + 1):
            try:
                self._download(url, body, partial)
                partial.replace(target)
                return target
            except _RetryableError as exc:
                if attempt == self.retries:
                    raise FetchError(_give_up(endpoint, url, exc.reason, self.retries + 1)) from None
                wait = min(self.max_wait_s, exc.retry_after if exc.retry_after is not None else self._backoff(attempt))
                self._say(
                    Message(
                        "{name}: {reason}; retrying in {wait:.1f} s ({attempt}/{retries})",
                        name=endpoint.name,
                        reason=exc.reason,
                        wait=wait,
                        attempt=attempt + 1,
                        retries=self.retries,
                    )
                )
                self.waits.append(wait)
                self.sleep(wait)
            except urllib.error.HTTPError as exc:
                raise FetchError(
                    "{name} ({url}) answered HTTP {code} {reason}. Fix: check the place, country or year asked "
                    "for; to use a mirror, set {option} or {env}",
                    name=endpoint.name,
                    url=_short(url),
                    code=exc.code,
                    reason=exc.reason,
                    option=endpoint.option,
                    env=endpoint.env,
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _backoff(self, attempt: int) -> float:
        return self.backoff_s * 2**attempt

    def _download(self, url: str, body: bytes | None, partial: Path) -> None:
        """One attempt: append to ``partial`` from where it ends; raise :class:`_RetryableError` on a passing fault."""
        have = partial.stat().st_size if partial.is_file() else 0
        request = urllib.request.Request(url, data=body, headers={"User-Agent": USER_AGENT})
        if have:
            request.add_header("Range", f"bytes={have}-")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                resumed = have and response.status == 206
                if have and not resumed:  # the server ignored the Range: start again
                    have = 0
                length = response.headers.get("Content-Length")
                total = have + int(length) if length is not None else None
                self._say(
                    Message("downloading {url} (resuming at {size})", url=_short(url), size=_size(have))
                    if resumed
                    else Message("downloading {url}", url=_short(url))
                )
                self._copy(response, partial, "ab" if resumed else "wb", have, total)
        except urllib.error.HTTPError as exc:
            if exc.code == 416:  # the partial file is not a prefix of what the server has now: start again
                partial.unlink(missing_ok=True)
                raise _RetryableError("HTTP 416: partial download no longer matches", 0.0) from None
            if exc.code in _RETRY_STATUSES:
                raise _RetryableError(
                    f"HTTP {exc.code} {exc.reason}", _retry_after(exc.headers.get("Retry-After"))
                ) from None
            raise
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError) as exc:
            reason = getattr(exc, "reason", None) or exc.__class__.__name__
            raise _RetryableError(f"connection failed ({reason})", None) from None

    def _copy(self, response, partial: Path, mode: str, have: int, total: int | None) -> None:
        done, shown = have, have
        with partial.open(mode) as out:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                done += len(chunk)
                if done - shown >= 8 * 1024 * 1024:  # a line per 8 MB keeps a log readable
                    self._say(
                        Message("  {done} of {total}", done=_size(done), total=_size(total))
                        if total
                        else Message("  {done}", done=_size(done))
                    )
                    shown = done
        if total is not None and done < total:
            raise http.client.IncompleteRead(b"", total - done)
        self._say(Message("  done: {size}", size=_size(done)))

    def _say(self, line: Message) -> None:
        print(line.text(translator(self.language)), file=self.progress or sys.stderr, flush=True)


class _RetryableError(Exception):
    def __init__(self, reason: str, retry_after: float | None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _give_up(endpoint: Endpoint, url: str, reason: str, attempts: int) -> Message:
    return Message(
        "could not download from {name} at {url}: {reason} ({attempts} attempts). Fix: check the internet "
        "connection (or proxy) and run the same command again (finished downloads are cached and partial ones "
        "resume); to use a mirror, set {option} or the {env} environment variable (now {endpoint_url})",
        name=endpoint.name,
        url=_short(url),
        reason=reason,
        attempts=attempts,
        option=endpoint.option,
        env=endpoint.env,
        endpoint_url=endpoint.url,
    )


def _short(url: str) -> str:
    return url if len(url) <= 160 else url[:157] + "…"


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover
