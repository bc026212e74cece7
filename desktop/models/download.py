"""Downloading a model the user asked for, so that nothing partial or wrong is ever used.

The flow (docs/reliability.md §2):

- check free space first: what is still missing plus 10 %;
- write to ``<name>.part`` beside the final file (same filesystem);
- resume with ``Range``; accept only ``206`` with a ``Content-Range`` starting at our offset,
  anything else truncates and starts over;
- stop at the exact size; ``fsync``; hash the finished file as it is on disk (one read, and
  it checks what was written, not what was received);
- only then ``os.replace`` it into place and ``fsync`` the folder. A wrong hash deletes the
  part and retries, a few times, then says so.

Dropped connections resume by themselves a few times. Cancel (a ``threading.Event``) keeps the
part, so the next download resumes it. httpx does the HTTP; TLS verification stays on.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from desktop.errors import HearthError, require

log = logging.getLogger(__name__)

CHUNK = 1 << 16  # small enough that a drop or a cancel loses little
SPACE_MARGIN = 1.10
RESUME_ATTEMPTS = 5
HASH_ATTEMPTS = 2
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DownloadError(HearthError):
    pass


class DownloadCancelled(DownloadError):
    def __init__(self, name: str) -> None:
        super().__init__(f"The download of {name} was cancelled.",
                         "Start it again to resume where it stopped.")


@dataclass(frozen=True)
class DownloadSpec:
    url: str
    dest: Path
    size: int | None = None  # exact bytes, when the catalog knows them
    sha256: str | None = None  # pinned; otherwise the server must declare one
    # Only for small settings files that are validated by their schema after download.
    schema_checked: bool = False


@dataclass(frozen=True)
class Progress:
    done: int
    total: int | None
    bytes_per_s: float
    connecting: bool = False  # the request is out, nothing has come back yet

    def seconds_left(self) -> float | None:
        if not self.total or self.bytes_per_s <= 0:
            return None
        return (self.total - self.done) / self.bytes_per_s


def _part(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def _hash_file(path: Path, digest=None):
    digest = digest or hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest


def _declared_sha256(headers) -> str | None:
    """The SHA-256 a server states for a file: Hugging Face puts it in ``X-Linked-Etag`` (LFS
    files) or ``ETag``; some servers send ``Digest: sha-256=…`` (base64)."""
    for name in ("x-linked-etag", "etag"):
        value = headers.get(name, "").strip().strip('"').removeprefix("W/").strip('"').lower()
        if _SHA256.match(value):
            return value
    digest = headers.get("digest", "")
    for part in digest.split(","):
        kind, _, value = part.strip().partition("=")
        if kind.lower() == "sha-256" and value:
            import base64

            try:
                return base64.b64decode(value).hex()
            except ValueError:
                return None
    return None


def check_space(folder: Path, needed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < needed * SPACE_MARGIN:
        raise DownloadError(
            f"Not enough free space in {folder}: this needs {_gb(needed * SPACE_MARGIN)}, "
            f"and {_gb(free)} is free.",
            "Free some space, or set HEARTH_HOME to a folder on a larger disk.")


def _gb(size: float) -> str:
    return f"{size / 1e9:.2f} GB" if size >= 1e8 else f"{size / 1e6:.1f} MB"


class Downloader:
    """One download at a time per instance; ``cancel`` may be set from any thread."""

    def __init__(self, client=None, progress: Callable[[Progress], None] | None = None,
                 cancel: threading.Event | None = None, retry_delay_s: float = 1.0) -> None:
        self._client = client
        self.progress = progress or (lambda _p: None)
        self.cancel = cancel or threading.Event()
        self.retry_delay_s = retry_delay_s

    def _http(self):
        if self._client is None:
            httpx = require("httpx", "httpx", "Downloading models")
            self._client = httpx.Client(follow_redirects=True, timeout=httpx.Timeout(30.0))
        return self._client

    def fetch(self, spec: DownloadSpec) -> Path:
        """Download ``spec`` to ``spec.dest`` and return it, verified; raises DownloadError
        with words for the user."""
        httpx = require("httpx", "httpx", "Downloading models")
        name = spec.dest.name
        for attempt in range(1, HASH_ATTEMPTS + 1):
            expected = self._download_part(spec, httpx)
            part = _part(spec.dest)
            actual = _hash_file(part).hexdigest()  # re-hash what is on disk, not the stream
            if actual == expected:
                self._install(part, spec.dest)
                return spec.dest
            log.warning("%s: hash mismatch (attempt %d)", name, attempt)
            part.unlink(missing_ok=True)
        raise DownloadError(
            f"{name} arrived with the wrong content (its SHA-256 does not match), "
            f"{HASH_ATTEMPTS} times. The file was deleted and is not used.",
            "The server may be sending an error page or a damaged file; try again later or "
            "choose the file from disk.")

    def _download_part(self, spec: DownloadSpec, httpx) -> str:
        """Bring the part file to its full size; returns the SHA-256 to expect."""
        part = _part(spec.dest)
        expected = spec.sha256.lower() if spec.sha256 else None
        dropped = 0
        while True:
            if self.cancel.is_set():
                raise DownloadCancelled(spec.dest.name)
            offset = part.stat().st_size if part.exists() else 0
            if spec.size is not None and offset > spec.size:
                part.unlink()
                offset = 0
            if spec.size is not None and offset == spec.size and expected:
                return expected
            check_space(part.parent, (spec.size or 0) - offset)
            try:
                declared, total = self._stream(spec, part, offset, httpx)
            except (httpx.TransportError, _Short) as error:
                unreachable = network_problem(error, spec.url)
                if unreachable is not None:
                    raise unreachable from error  # waiting would not change it
                dropped += 1
                if dropped > RESUME_ATTEMPTS:
                    raise DownloadError(
                        f"The connection for {spec.dest.name} kept dropping.",
                        "Check the network; the download resumes where it stopped when you "
                        "start it again.") from error
                time.sleep(self.retry_delay_s * dropped)
                continue
            expected = expected or declared
            if expected is None and spec.schema_checked:
                return _hash_file(part).hexdigest()
            if expected is None:
                part.unlink(missing_ok=True)
                raise DownloadError(
                    f"{spec.dest.name} cannot be verified: the catalog has no hash for it "
                    "and the server declared none.",
                    "Choose the file from disk after checking it yourself.")
            if spec.size is None or part.stat().st_size == (spec.size or total):
                return expected

    def _stream(self, spec: DownloadSpec, part: Path, offset: int, httpx
                ) -> tuple[str | None, int | None]:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        started, done = time.monotonic(), offset
        self.progress(Progress(offset, spec.size, 0.0, connecting=True))
        try:
            with self._http().stream("GET", spec.url, headers=headers) as response:
                if response.status_code >= 400:
                    raise DownloadError(
                        f"The server refused {spec.dest.name} (HTTP {response.status_code}).",
                        "Try again later; if it persists, the catalog entry may be out of "
                        "date.")
                resumed = offset and response.status_code == 206 and response.headers.get(
                    "content-range", "").startswith(f"bytes {offset}-")
                if offset and not resumed:
                    # 200 with the whole file, or a range we did not ask for: start over.
                    log.info("%s: server did not resume at %d; restarting",
                             spec.dest.name, offset)
                    done = 0
                total = _total_size(response, offset if resumed else 0)
                if spec.size is not None and total is not None and total != spec.size:
                    raise DownloadError(
                        f"The server offers {spec.dest.name} with {total} bytes, but it should "
                        f"have {spec.size}.", "Try again later; the catalog or the server is "
                        "out of date.")
                limit = spec.size or total
                with part.open("r+b" if resumed else "wb") as handle:
                    handle.seek(done)
                    handle.truncate()
                    for block in response.iter_bytes(CHUNK):
                        if self.cancel.is_set():
                            raise DownloadCancelled(spec.dest.name)
                        if limit is not None and done + len(block) > limit:
                            block = block[: limit - done]  # never past the exact size
                        try:
                            handle.write(block)
                        except OSError as error:
                            raise _disk_error(error, spec) from error
                        done += len(block)
                        elapsed = max(time.monotonic() - started, 1e-6)
                        self.progress(Progress(done, limit, (done - offset) / elapsed))
                        if limit is not None and done >= limit:
                            break
                    handle.flush()
                    os.fsync(handle.fileno())
                declared = _declared_sha256(response.headers)
        except OSError as error:
            raise _disk_error(error, spec) from error
        if limit is not None and done < limit:
            raise _Short(f"{done} of {limit} bytes")
        return declared, limit

    @staticmethod
    def _install(part: Path, dest: Path) -> None:
        os.replace(part, dest)
        if hasattr(os, "O_DIRECTORY"):
            folder = os.open(dest.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)


class _Short(Exception):
    """The body ended before the file did: resume."""


OFFLINE_FIX = ("Connect to the internet and try again, or choose model files you already "
               "have (Setup: Choose files on disk…, or hearth models add FILE).")


def network_problem(error: BaseException, url: str) -> DownloadError | None:
    """What kept the request from reaching the server, in words (never an errno or a class
    name), when trying again at once cannot help: no network, a name that cannot be looked
    up, a server that refuses, a secure connection that fails. None for a connection that
    was made and dropped (worth resuming)."""
    host = urlparse(url).hostname or url
    kind = _unreachable_kind(error)
    if kind is None:
        return None
    problem, fix = {
        "lookup": (f"Hearth cannot find {host}: its name cannot be looked up, so this "
                   "computer seems to be offline.", OFFLINE_FIX),
        "offline": (f"This computer has no network connection to {host}.", OFFLINE_FIX),
        "refused": (f"{host} refused the connection.", "The server may be down; try again "
                    "later, or choose model files you already have."),
        "certificate": (f"The secure connection to {host} failed: its certificate could not "
                        "be checked.", TLS_FIX),
        "tls": (f"The secure connection to {host} failed.", TLS_FIX),
    }[kind]
    return DownloadError(problem, fix)


TLS_FIX = ("Check the computer's date and time, and the network (a hotel or office sign-in "
           "page can cause this). Nothing was downloaded.")


def _unreachable_kind(error: BaseException) -> str | None:
    """The cause behind a transport error, from the exception chain, else from its words
    (httpx sometimes keeps only those)."""
    import errno
    import socket
    import ssl

    cause: BaseException | None = error
    for _ in range(10):
        if cause is None:
            break
        if isinstance(cause, socket.gaierror):
            return "lookup"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "certificate"
        if isinstance(cause, ssl.SSLError):
            return "tls"
        if isinstance(cause, ConnectionRefusedError):
            return "refused"
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH,
                                                          errno.ENETDOWN):
            return "offline"
        cause = cause.__cause__ or cause.__context__
    text = str(error).lower()
    if any(words in text for words in ("name or service not known", "getaddrinfo",
                                       "temporary failure in name resolution")):
        return "lookup"
    if "connection refused" in text:
        return "refused"
    if "certificate" in text:
        return "certificate"
    if "ssl" in text:
        return "tls"
    return None


def _total_size(response, offset: int) -> int | None:
    content_range = response.headers.get("content-range", "")
    if "/" in content_range and content_range.rsplit("/", 1)[1].isdigit():
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("content-length")
    return offset + int(length) if length and length.isdigit() else None


def _disk_error(error: OSError, spec: DownloadSpec) -> DownloadError:
    if error.errno in (28, 122):  # ENOSPC, EDQUOT
        return DownloadError(
            f"The disk filled up while downloading {spec.dest.name}.",
            "Free some space and start the download again: it resumes where it stopped.")
    return DownloadError(f"{spec.dest.name} could not be written ({error.strerror}).",
                         f"Check that {spec.dest.parent} is writable.")
