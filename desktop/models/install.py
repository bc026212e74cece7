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
    return path


def _check(entry: CatalogEntry, path: Path) -> None:
    if entry.kind == "voice":
        from desktop.voice.tts import check_voice_files

        check_voice_files(path)
        return
    if entry.kind in ("asr", "vad", "face"):
        from desktop.trial import ModelRejected, trial_load_once
        from desktop.voice.asr import model_file

        folder = path.parent
        if entry.kind == "asr" and (model_file(folder) is None
                                    or not (folder / "tokens.txt").is_file()):
            return  # checked when the recognizer's other file arrives
        try:
            if entry.kind == "asr":
                from desktop.voice.asr import check_recognizer_folder

                check_recognizer_folder(folder)
            trial_load_once(entry.kind, folder if entry.kind == "asr" else path)
        except ModelRejected as error:
            raise HearthError(f"{path.name} did not load: {error.problem}",
                              "It was removed; try the download again.") from error
        return
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise HearthError(f"{path.name} is not a GGUF model file; it was removed.",
                              "The catalog entry may be wrong; choose a model file from disk.")
