"""The likeness builder's tests need its optional extra: ``make test-likeness`` installs it
(torch CPU, PyAV, scikit-image) and runs them as a CI step of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

for module in ("torch", "av", "skimage"):
    pytest.importorskip(module, reason="needs hearth[likeness]: run make test-likeness")


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory, fixture_models: Path) -> dict:
    """One synthetic talking video of the astronaut photograph, 40 s, made once."""
    from desktop.fixtures.piper_voice import write_piper_voice
    from desktop.likeness.synthetic import make_synthetic_video

    folder = tmp_path_factory.mktemp("synthetic")
    video = folder / "talking.mp4"
    voice = write_piper_voice(folder / "en_US-articulated.onnx", articulated=True)
    truth = make_synthetic_video(video, voice, seconds=40)
    return {"video": video, **truth}
