"""The archive layer of a bundle (docs/reliability.md §1): strict JSON, member names that are
safe on every OS, a zip whose structure is checked before anything is extracted (entry count,
links, encryption, methods, ratios, local headers against the central directory, overlaps,
data before or after), and extraction that counts and hashes the bytes actually produced."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import re
import struct
import unicodedata
import zipfile
import zlib
from pathlib import Path

from desktop.errors import HearthError

MAX_BUNDLE_BYTES = 512 << 20


MAX_ENTRIES = 64


MAX_RATIO = 100


MAX_JSON_DEPTH = 32


MAX_JSON_STRING = 64 << 10


_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}


_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f]")


# What the zipfile module raises on archives crafted or damaged in ways it did not expect; for
# a bundle every one of them means "not a valid bundle".
ARCHIVE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError,
                  NotImplementedError, EOFError, struct.error, OverflowError, KeyError,
                  IndexError, UnicodeDecodeError)


class BundleRejected(HearthError):
    def __init__(self, problem: str, fix: str = "Ask its publisher for a new copy. Nothing was "
                                                "installed.") -> None:
        super().__init__(problem, fix)


# -- strict JSON ---------------------------------------------------------------------------
def strict_json(data: bytes, what: str) -> object:
    """JSON with no duplicate keys, no NaN/Infinity (nor numbers that overflow to it, like
    1e999), no integers of more than 30 digits, no lone surrogates, nesting ≤ 32, strings
    ≤ 64 KiB. Anything else is a BundleRejected with the reason, never another exception."""
    def pairs(items: list[tuple[str, object]]) -> dict:
        keys = [k for k, _ in items]
        if len(keys) != len(set(keys)):
            raise BundleRejected(f"The {what} repeats a key, so its meaning is ambiguous.")
        return dict(items)

    def constant(name: str) -> None:
        raise BundleRejected(f"The {what} contains {name}, which is not valid JSON.")

    def number(text: str) -> float:
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise BundleRejected(f"The {what} has a number too large to hold ({text[:20]}).")
        return value

    def integer(text: str) -> int:
        if len(text.lstrip("-")) > 30:
            raise BundleRejected(f"The {what} has a whole number with more than 30 digits.")
        return int(text)

    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=pairs,
                           parse_constant=constant, parse_float=number, parse_int=integer)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        # json.JSONDecodeError is a ValueError; so is Python's integer digit limit.
        raise BundleRejected(f"The {what} is not valid JSON ({str(error)[:120]}).") from error
    _check_shape(value, what, 0)
    return value


def _check_shape(value: object, what: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise BundleRejected(f"The {what} is nested too deeply.")
    if isinstance(value, str):
        if len(value) > MAX_JSON_STRING:
            raise BundleRejected(f"The {what} has a text field that is too long.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:  # a lone surrogate such as "\ud800"
            raise BundleRejected(f"The {what} has text that is not valid Unicode.") from error
    if isinstance(value, dict):
        for key, item in value.items():
            _check_shape(key, what, depth + 1)
            _check_shape(item, what, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_shape(item, what, depth + 1)


def canonical(manifest: dict) -> bytes:
    """The exact bytes a bundle's manifest is stored and signed as."""
    return json.dumps(manifest, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


# -- names --------------------------------------------------------------------------------------
def check_name(name: str) -> str:
    """A member name that is safe on every OS, or BundleRejected."""
    for candidate in (name, unicodedata.normalize("NFC", name)):
        problem = name_problem(candidate)
        if problem:
            raise BundleRejected(f"The bundle contains a file named {name!r}, which is not "
                                 f"allowed ({problem}).")
    return unicodedata.normalize("NFC", name)


def name_problem(name: str) -> str | None:
    if not name or len(name) > 200:
        return "empty or too long"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or "\\" in name:
        return "an absolute or Windows path"
    if any(ord(c) < 32 or ord(c) == 127 for c in name) or _BIDI.search(name):
        return "control or direction characters"
    for segment in name.split("/"):
        if segment in ("", ".", ".."):
            return "an empty or parent segment"
        if len(segment.encode("utf-8")) > 255:
            return "a segment over 255 bytes"
        if segment.split(".")[0].lower() in _WINDOWS_RESERVED:
            return "a reserved Windows name"
        if segment.endswith((".", " ")):
            return "a trailing dot or space"
    if name.startswith("__MACOSX/") or name.split("/")[-1].startswith("._"):
        return "macOS metadata"
    return None


# -- the archive's structure ----------------------------------------------------------------------
def inspect_zip(data: bytes) -> zipfile.ZipFile:
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleRejected("The bundle is larger than any persona should be.")
    end = data.rfind(b"PK\x05\x06")
    if end >= 0 and len(data) >= end + 22:
        # Count entries from the end record before parsing a possibly huge central directory.
        (total,) = struct.unpack("<H", data[end + 10:end + 12])
        if total > MAX_ENTRIES:
            raise BundleRejected(f"The bundle has {total} files; a persona needs far fewer.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ARCHIVE_ERRORS as error:
        raise BundleRejected(f"The file is not a persona bundle (not a zip archive: {error}).",
                             "Choose a .persona file.") from error
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise BundleRejected(f"The bundle has {len(entries)} files; a persona needs far fewer.")
    seen: dict[str, str] = {}
    spans = []
    for info in entries:
        name = check_name(info.filename)
        folded = name.casefold()
        if folded in seen:
            raise BundleRejected(f"The bundle contains {name!r} twice (names differing only by "
                                 "case or accents).")
        seen[folded] = name
        mode = info.external_attr >> 16
        if mode and (mode & 0o170000) not in (0o100000, 0):
            raise BundleRejected(f"{name!r} in the bundle is a link or a device, not a file.")
        if info.flag_bits & 0x1:
            raise BundleRejected(f"{name!r} in the bundle is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BundleRejected(f"{name!r} uses a compression method Hearth does not accept.")
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1 << 20:
            raise BundleRejected(f"{name!r} expands {info.file_size // max(info.compress_size, 1)}"
                                 " times: the bundle looks like a zip bomb.")
        name_length, extra_length = check_local_header(data, info, name, "bundle")
        start = info.header_offset
        end = info.header_offset + 30 + name_length + extra_length + info.compress_size
        spans.append((start, end, name))
    spans.sort()
    if spans and spans[0][0] != 0:
        raise BundleRejected("The bundle has unexplained data before its first file.")
    for (_s1, end1, name1), (start2, _e2, name2) in itertools.pairwise(spans):
        if start2 < end1:
            raise BundleRejected(f"{name1!r} and {name2!r} overlap in the bundle: it was "
                                 "crafted to be read differently by different programs.")
    eocd = data.rfind(b"PK\x05\x06")
    if eocd < 0 or eocd + 22 + struct.unpack("<H", data[eocd + 20:eocd + 22])[0] != len(data):
        raise BundleRejected("The bundle has unexplained data after its end.")
    return archive


def check_local_header(data: bytes, info: zipfile.ZipInfo, name: str,
                       what: str) -> tuple[int, int]:
    """The spec (APPNOTE 4.3.7, 4.4) has each member's local header repeat what the central
    directory says of it. Readers differ in which of the two they believe, so an archive
    whose copies disagree reads as different files in different programs: refused. Returns
    the local name and extra-field lengths."""
    local = data[info.header_offset:info.header_offset + 30]
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise BundleRejected(f"The {what}'s index points outside its data.")
    (_version, flags, method, _time, _date, crc, packed, size, name_length,
     extra_length) = struct.unpack("<HHHHHIIIHH", local[4:30])
    local_name = data[info.header_offset + 30:info.header_offset + 30 + name_length]
    disagree = [
        local_name != info.orig_filename.encode("utf-8" if info.flag_bits & 0x800
                                                else "cp437"),
        method != info.compress_type,
        # Bit 3 moves CRC and sizes to a descriptor after the data; bit 11 is the name's
        # encoding, which must match too. Other bits are hints no reader acts on.
        (flags ^ info.flag_bits) & 0x809 != 0,
    ]
    if not flags & 0x8:
        zip64 = 0xFFFFFFFF in (packed, size)
        disagree += [crc != info.CRC,
                     not zip64 and (packed, size) != (info.compress_size, info.file_size)]
    if any(disagree):
        raise BundleRejected(f"{name!r}: the {what}'s index and its data disagree (its "
                             "local header differs from the central directory).")
    return name_length, extra_length


def read_small(archive: zipfile.ZipFile, name: str, cap: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError as error:
        raise BundleRejected(f"The bundle has no {name}.") from error
    if info.file_size > cap:
        raise BundleRejected(f"The bundle's {name} is too large.")
    try:
        with archive.open(info) as handle:
            data = handle.read(cap + 1)
    except ARCHIVE_ERRORS as error:
        raise BundleRejected(f"The bundle's {name} is damaged ({error}).") from error
    if len(data) > cap:
        raise BundleRejected(f"The bundle's {name} is too large.")
    return data


def extract(archive: zipfile.ZipFile, path: str, staging: Path, size: int,
             digest: str) -> None:
    try:
        _extract_member(archive, path, staging, size, digest)
    except ARCHIVE_ERRORS as error:
        raise BundleRejected(f"{path!r} in the bundle is damaged ({error}).") from error


def _extract_member(archive: zipfile.ZipFile, path: str, staging: Path, size: int,
                    digest: str) -> None:
    destination = staging / path
    destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    hasher = hashlib.sha256()
    produced = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(destination, flags, 0o600)
    with os.fdopen(descriptor, "wb") as out, archive.open(path) as member:
        while True:
            block = member.read(1 << 16)
            if not block:
                break
            produced += len(block)
            if produced > size:  # counted on the bytes actually produced
                raise BundleRejected(f"{path!r} is larger than its manifest says.")
            hasher.update(block)
            out.write(block)
    if produced != size or hasher.hexdigest() != digest:
        raise BundleRejected(f"{path!r} does not match its manifest (size or SHA-256): the "
                             "bundle was changed or damaged after it was made.")
