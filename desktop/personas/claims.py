"""What a bundle says about itself is a claim to check, not a fact.

- ``sniff``: a member's kind decided from its bytes (PNG, JPEG, ONNX, MP4, JSON, text), so a
  16,000 x 16,000 PNG declared ``text/plain`` is still checked as the image it is;
- ``referenced_members``: every manifest field that points at a file (portrait, renderer,
  voice and its settings, expressions), each a plain name inside the bundle and listed;
- ``license_value_problem``: the license's values with their types; a value Hearth cannot
  read is a denial, never a permission (``romance_allowed: "false"`` does not allow romance,
  ``forbidden_topics: 7`` does not drop the topics).
"""

from __future__ import annotations

import json
import re

KINDS = ("image/png", "image/jpeg", "application/onnx", "video/mp4", "application/json",
         "text/plain")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def sniff(head: bytes, whole: bytes | None = None) -> str:
    """The kind of a member from its first bytes (and, for text, all of them)."""
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head[:1] == b"\x08" and not _is_text(whole if whole is not None else head):
        return "application/onnx"  # a protobuf ModelProto begins with ir_version (field 1)
    data = whole if whole is not None else head
    if _is_text(data):
        try:
            json.loads(data.decode("utf-8"))
            return "application/json"
        except ValueError:
            return "text/plain"
    return "application/octet-stream"


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(c) < 9 or 13 < ord(c) < 32 for c in text[:65536])


def referenced_members(manifest: dict) -> dict[str, str]:
    """Member path -> the kind it must be, for every field that names a file. Raises
    ValueError naming the field when a value is not a string."""
    wanted: dict[str, str] = {}

    def add(field: str, value: object, kind: str) -> None:
        if not isinstance(value, str) or not value:
            raise ValueError(f"its {field} is not a file name")
        wanted[value] = kind

    if "portrait" in manifest:
        add("portrait", manifest["portrait"], "image")
    renderer = manifest.get("renderer")
    if renderer is not None:
        if not isinstance(renderer, dict):
            raise ValueError("its renderer is not an object")
        add("renderer path", renderer.get("path"), "application/onnx")
    voices = manifest.get("voice") or {}
    if not isinstance(voices, dict):
        raise ValueError("its voice is not an object")
    for language, name in voices.items():
        if not isinstance(name, str):
            raise ValueError(f"its voice for {language!r} is not a name")
        if name.endswith(".onnx"):  # a voice in the bundle (else a catalog id)
            add(f"voice for {language!r}", name, "application/onnx")
            add(f"voice settings for {language!r}", f"{name}.json", "application/json")
    expressions = manifest.get("expressions") or {}
    if not isinstance(expressions, dict):
        raise ValueError("its expressions are not an object")
    for name, path in expressions.items():
        add(f"expression {name!r}", path, "image")
    return wanted


LICENSE_TYPES: dict[str, object] = {
    "licensor": str, "licensor_key": str, "subject": ("real_person", "fictional"),
    "consent": dict, "modes": ["text", "voice_call", "video_call"],
    "content_rating_max": ("general", "teen", "mature"), "forbidden_topics": [str],
    "never_say": [str], "refusal": str, "disclosure": "text", "valid_from": "date",
    "valid_until": "date", "revocation_id": str, "romance_allowed": bool,
    "attribution": str, "contact": str, "commercial_use": bool, "voice_use": str,
    "territories": [str],
}


def license_value_problem(license_: object, require_subject: bool = False) -> str | None:
    """Why the license's values cannot be read as Hearth must read them, or None. A bundle
    must say whether it portrays a real person (``require_subject``, at import)."""
    if not isinstance(license_, dict):
        return "its license is not an object"
    if require_subject and "subject" not in license_:
        return "its license does not say whether it portrays a real person"
    for clause, value in license_.items():
        expected = LICENSE_TYPES.get(clause)
        if expected is None:
            continue  # unknown clauses are refused by name elsewhere
        if isinstance(expected, tuple):
            good = isinstance(value, str) and value in expected
        elif isinstance(expected, list):
            item = expected[0]
            good = isinstance(value, list) and all(
                (isinstance(v, str) if item is str else v in expected) for v in value)
        elif expected == "date":
            good = isinstance(value, str) and bool(_DATE.match(value))
        elif expected is bool:
            good = isinstance(value, bool)
        elif expected == "text":  # one text, or one per language
            good = isinstance(value, str) or (isinstance(value, dict) and bool(value) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()))
        else:
            good = isinstance(value, expected) and not isinstance(value, bool)
        if not good:
            return f"its license value for {clause} ({json.dumps(value)[:60]}) cannot be read"
    return None
