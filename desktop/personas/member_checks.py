"""Checks on a bundle's extracted members, by what they really are (docs/reliability.md §1.7,
§1.9, §2.3): each member's kind from its bytes, images decoded in a child process, ONNX models
and voices trial-loaded in a child, and a v2 face checked whole (docs/face.md)."""

from __future__ import annotations

from pathlib import Path

from desktop.child import child_command
from desktop.personas.archive import BundleRejected, check_name


def check_kinds(staging: Path, manifest: dict) -> dict[str, str]:
    """Each member's kind from its bytes. A member whose declared media type is not what it
    is, or that a field uses as something it is not, is refused."""
    from desktop.personas.claims import referenced_members, sniff

    kinds = {}
    for entry in manifest["files"]:
        path = staging / entry["path"]
        with path.open("rb") as handle:
            head = handle.read(4096)
        whole = path.read_bytes() if head[:1] in (b"{", b"[") or len(head) < 4096 else None
        kind = sniff(head, whole if whole is not None else head)
        declared = str(entry.get("media_type"))
        text_like = {"text/plain", "application/json"}
        if kind != declared and not (kind in text_like and declared in text_like):
            raise BundleRejected(f"{entry['path']!r} is declared as {declared} but is "
                                 f"{_kind_name(kind)}.")
        kinds[entry["path"]] = kind
    for path, wanted in referenced_members(manifest).items():
        kind = kinds[path]
        if not (kind.startswith("image/") if wanted == "image" else kind == wanted or (
                wanted == "application/json" and kind == "text/plain")):
            raise BundleRejected(f"The manifest uses {path!r} as "
                                 f"{'an image' if wanted == 'image' else _kind_name(wanted)}, "
                                 f"but it is {_kind_name(kind)}.")
    return kinds


def _kind_name(kind: str) -> str:
    return {"image/png": "a PNG image", "image/jpeg": "a JPEG image",
            "application/onnx": "an ONNX model", "video/mp4": "an MP4 video",
            "application/json": "JSON", "text/plain": "text"}.get(kind, "unreadable data")


def check_images(staging: Path, kinds: dict[str, str]) -> None:
    for path, kind in kinds.items():
        if kind.startswith("image/"):
            check_image(staging / path, path)


def check_models(staging: Path, manifest: dict, kinds: dict[str, str]) -> None:
    """ONNX members (a voice, a renderer): single-file, no custom operators (T24), and loaded
    once in a child process with memory and time limits; a voice the persona names must come
    with valid settings (T25)."""
    from desktop.errors import HearthError
    from desktop.trial import check_onnx, trial_load
    from desktop.voice.tts import check_voice_files

    for path, kind in kinds.items():
        if kind == "application/onnx":
            try:
                check_onnx(staging / path)
            except HearthError as error:
                raise BundleRejected(f"The model {path!r} in the bundle was refused: "
                                     f"{error.problem}") from error
    for name in (manifest.get("voice") or {}).values():
        if str(name).endswith(".onnx"):
            try:
                check_voice_files(staging / check_name(str(name)))
                trial_load("voice", staging / str(name))
            except HearthError as error:
                raise BundleRejected(f"The voice {name!r} in the bundle was refused: "
                                     f"{error.problem}") from error
    renderer = (manifest.get("renderer") or {}).get("path")
    if renderer:
        try:
            trial_load("renderer", staging / str(renderer))
        except HearthError as error:
            raise BundleRejected(f"The face renderer {renderer!r} in the bundle was refused: "
                                 f"{error.problem}") from error


FACE_FOLDER = "face"


def check_face(staging: Path, manifest: dict, listed: set[str]) -> None:
    """A hearth-face-v2 face (docs/face.md): its own manifest read with types and ranges,
    every file it names listed (so hashed and signed) inside ``face/``, nothing else there,
    the generator a single-file standard-operator ONNX, and the whole face loaded and one
    speaking frame rendered in a child process with memory and time limits."""
    face = manifest.get("face")
    in_folder = {path for path in listed if path.startswith(FACE_FOLDER + "/")}
    if face is None:
        if in_folder:
            raise BundleRejected("The bundle has a face folder but its manifest declares no "
                                 "face.")
        return
    from desktop.errors import HearthError
    from desktop.face.manifest import parse_face_manifest
    from desktop.trial import check_onnx, trial_load

    if not isinstance(face, dict) or face.get("contract") != "hearth-face-v2":
        raise BundleRejected("The bundle's face is not a hearth-face-v2 face.",
                             "Ask its publisher for a copy made for this version of Hearth.")
    if f"{FACE_FOLDER}/manifest.json" not in listed:
        raise BundleRejected("The bundle declares a face but has no face/manifest.json.")
    folder = staging / FACE_FOLDER
    try:
        face_manifest = parse_face_manifest((folder / "manifest.json").read_bytes())
        named = {f"{FACE_FOLDER}/{name}" for name in face_manifest.files()}
        missing = named - listed
        if missing:
            raise BundleRejected(f"The face names files the bundle does not list: "
                                 f"{', '.join(sorted(missing))}.")
        extra = in_folder - named - {f"{FACE_FOLDER}/manifest.json"}
        if extra:
            raise BundleRejected(f"The face folder holds files its manifest does not name: "
                                 f"{', '.join(sorted(extra))}.")
        check_onnx(folder / face_manifest.generator)
        trial_load("likeness", folder)
    except BundleRejected:
        raise
    except HearthError as error:
        raise BundleRejected(f"The persona's face was refused: {error.problem}") from error


def check_image(path: Path, name: str) -> None:
    """Decode an image in a child process with a pixel cap; it is re-encoded as PNG there."""
    import subprocess

    done = subprocess.run(child_command("desktop.personas.image_check", str(path)),
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["it could not be decoded"])[-1]
        raise BundleRejected(f"The image {name!r} was refused: {reason[:200]}.")
