"""The face renderer engine: an ONNX graph under the hearth-face-v1 contract, on onnxruntime.

    renderer = FaceRenderer.load(model_path, portrait_rgb, rig, size=256, threads=1)
    frame = renderer.render(params)       # uint8 [size, size, 3] RGB
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.errors import HearthError, require
from desktop.face.contract import CONTRACT, PARAM_NAMES, FaceParams, FaceRig

REQUIRED_INPUTS = {"portrait", "rig", "params"}


class RendererRejected(HearthError):
    """A face model that does not follow the contract or is unsafe to load."""


def check_renderer_file(path: Path) -> None:
    """Reject models that would read outside their file or need custom operators.

    docs/reliability.md §2.5: single-file models only, no external data, no custom-op domains.
    """
    onnx = require("onnx", "onnx", "Checking face models")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as error:  # onnx raises DecodeError and friends
        raise RendererRejected(
            f"The face model {path.name} is not a readable ONNX file ({error}).",
            "Reinstall the persona or choose another face model.",
        ) from error
    for tensor in model.graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL or tensor.external_data:
            raise RendererRejected(
                f"The face model {path.name} refers to external data files.",
                "Only single-file face models are accepted.",
            )
    for opset in model.opset_import:
        if opset.domain not in ("", "ai.onnx", "ai.onnx.ml"):
            raise RendererRejected(
                f"The face model {path.name} uses custom operators ({opset.domain}).",
                "Only models built from standard ONNX operators are accepted.",
            )
    contract = {p.key: p.value for p in model.metadata_props}.get("hearth.renderer_contract")
    if contract != CONTRACT:
        raise RendererRejected(
            f"The face model {path.name} does not declare the {CONTRACT} contract.",
            "Use a renderer made for this version of Hearth.",
        )


@dataclass
class FaceRenderer:
    session: object
    portrait: np.ndarray  # float32 [1, 3, size, size]
    rig: np.ndarray  # float32 [1, 12]
    size: int

    @staticmethod
    def load(
        model_path: Path,
        portrait_rgb: np.ndarray,
        rig: FaceRig,
        *,
        size: int = 256,
        threads: int = 1,
        check: bool = True,
    ) -> FaceRenderer:
        ort = require("onnxruntime", "onnxruntime", "The face renderer")
        cv2 = require("cv2", "opencv-python-headless", "The face renderer")
        if check:
            check_renderer_file(model_path)
        options = ort.SessionOptions()
        # One thread: the renderer shares the media core with TTS (see desktop.budget).
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        names = {i.name for i in session.get_inputs()}
        if names != REQUIRED_INPUTS:
            raise RendererRejected(
                f"The face model {model_path.name} has inputs {sorted(names)}, "
                f"not {sorted(REQUIRED_INPUTS)}.",
                "Use a renderer made for this version of Hearth.",
            )
        square = _center_square(portrait_rgb)
        resized = cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)
        tensor = resized.astype(np.float32).transpose(2, 0, 1)[None] / 255.0
        return FaceRenderer(session, np.ascontiguousarray(tensor), rig.to_array(), size)

    def render(self, params: FaceParams) -> np.ndarray:
        (frame,) = self.session.run(
            ["frame"],
            {"portrait": self.portrait, "rig": self.rig, "params": params.to_array()},
        )
        image = (frame[0].transpose(1, 2, 0) * 255.0 + 0.5).astype(np.uint8)
        return np.ascontiguousarray(image)

    @property
    def param_names(self) -> tuple[str, ...]:
        return PARAM_NAMES


def _center_square(image: np.ndarray) -> np.ndarray:
    """The portrait's central square; rigs are defined on the square portrait."""
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top : top + side, left : left + side]


def trial_load_child(path: Path) -> None:
    """desktop.trial's one load of a warp renderer, in its child process: one frame."""
    import numpy as np

    from desktop.face.contract import DEFAULT_RIG, FaceParams, FaceRig

    FaceRenderer.load(path, np.zeros((64, 64, 3), np.uint8), FaceRig.from_dict(DEFAULT_RIG),
                      size=64).render(FaceParams())
