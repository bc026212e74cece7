"""Installing a catalog model: download (verified), then check that it is what it claims to
be before it is offered to the engines."""

from __future__ import annotations

from pathlib import Path

from desktop.errors import HearthError
from desktop.models.download import Downloader, DownloadSpec
from desktop.models.inventory import CatalogEntry, Inventory


def install(entry: CatalogEntry, inventory: Inventory, downloader: Downloader) -> Path:
    """Download ``entry`` into the models folder. A voice comes with its settings file, which
    is validated (desktop.voice.tts.check_voice_files); a model that fails its checks is
    removed again, never left to be loaded."""
    dest = entry.destination(inventory)
    if entry.kind == "voice":
        downloader.fetch(DownloadSpec(entry.url + ".json", Path(f"{dest}.json"),
                                      schema_checked=True))
    path = downloader.fetch(DownloadSpec(entry.url, dest, entry.size, entry.sha256))
    try:
        _check(entry, path)
    except HearthError:
        path.unlink(missing_ok=True)
        Path(f"{path}.json").unlink(missing_ok=True)
        raise
    record_source(inventory.dirs.models, path, entry.id)
    return path


SOURCES = "sources.json"  # in the models folder: which catalog entry (or "disk") each file is


def record_source(models_dir: Path, path: Path, source: str) -> None:
    """Remember where an installed file came from, with its size and time: a file put in its
    place later by hand is then not taken for the catalog's model."""
    import json
    import os

    records = read_sources(models_dir)
    stat = path.stat()
    records[str(path.relative_to(models_dir))] = {
        "source": source, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    target = models_dir / SOURCES
    partial = target.with_name(target.name + ".part")
    partial.write_text(json.dumps(records, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, target)


def read_sources(models_dir: Path) -> dict[str, dict]:
    import json

    try:
        records = json.loads((models_dir / SOURCES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return records if isinstance(records, dict) else {}


def source_of(inventory: Inventory, path: Path) -> str | None:
    """The catalog id (or "disk") ``path`` was installed from; "changed" if another file
    has been put in its place since; None if Hearth has no record of it."""
    models_dir = inventory.dirs.models
    record = read_sources(models_dir).get(str(path.relative_to(models_dir)))
    if not isinstance(record, dict):
        return None
    stat = path.stat()
    if record.get("size") != stat.st_size or record.get("mtime_ns") != stat.st_mtime_ns:
        return "changed"
    return str(record.get("source"))


def _check(entry: CatalogEntry, path: Path) -> None:
    if entry.kind == "voice":
        from desktop.voice.tts import check_voice_files

        check_voice_files(path)
        return
    if entry.kind in ("asr", "vad", "face"):
        from desktop.trial import ModelRejected, trial_load_once
        from desktop.voice.recognizers import check_folder, is_recognizer_folder

        folder = path.parent
        if entry.kind == "asr" and not is_recognizer_folder(folder):
            return  # checked when the recognizer's other files arrive
        try:
            if entry.kind == "asr":
                check_folder(folder)
            trial_load_once(entry.kind, folder if entry.kind == "asr" else path)
        except ModelRejected as error:
            raise HearthError(f"{path.name} did not load: {error.problem}",
                              "It was removed; try the download again.") from error
        return
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise HearthError(f"{path.name} is not a GGUF model file; it was removed.",
                              "The catalog entry may be wrong; choose a model file from disk.")
