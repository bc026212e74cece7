"""The mouth generator's architecture, written once as a plan that both ONNX and torch build.

A Duix/Ultralight-class U-Net for one identity: the input is the loop frame's crop beside a
copy with the lower face blanked (6 x S x S), the drive is a window of log-mel frames of the
voice (desktop.face.drive); the output is the crop with a mouth that says that sound
(3 x S x S, RGB in [0, 1]). The encoder halves the resolution ``levels`` times, the drive is
folded by two dense layers and tiled over the bottleneck, and the decoder doubles back up with
skip connections (nearest up-sampling, a 1x1 then a 3x3 convolution per level).

``onnx_generator(shape, weights)`` writes the graph the app runs (random weights for the
benchmark, trained ones from ``hearth likeness build``); ``desktop.likeness.model`` builds the
same plan in torch for training, so the two can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop.errors import require

CONTRACT_V2 = "hearth-face-v2"


@dataclass(frozen=True)
class GeneratorShape:
    crop: int = 160  # S: the generated square, in pixels
    width: int = 24  # channels at the first level; doubled at each level down
    levels: int = 4
    drive_mels: int = 16  # mel frames in the drive window ((past + 1 + future) x mels/frame)
    n_mels: int = 40
    audio_dims: int = 128

    def widths(self) -> list[int]:
        return [self.width * 2 ** i for i in range(self.levels)]

    def check(self) -> None:
        if self.crop % (2 ** self.levels):
            raise ValueError(f"the crop size must be a multiple of {2 ** self.levels}")
        if not (32 <= self.crop <= 512 and 4 <= self.width <= 128 and 2 <= self.levels <= 5):
            raise ValueError("the generator's shape is out of range")


@dataclass(frozen=True)
class Step:
    kind: str  # "conv" | "save" | "concat" | "up" | "audio"
    name: str = ""
    cin: int = 0
    cout: int = 0
    k: int = 3
    stride: int = 1
    act: str | None = "relu"


def plan(shape: GeneratorShape) -> list[Step]:
    shape.check()
    steps = [Step("save", "input")]
    widths = shape.widths()
    cin = 6
    for i, width in enumerate(widths):
        steps.append(Step("conv", f"enc{i}", cin, width, 3, 2))
        if i >= 2:  # a second convolution where the maps are small and cheap
            steps.append(Step("conv", f"enc{i}b", width, width, 3, 1))
        steps.append(Step("save", f"skip{i}"))
        cin = width
    steps.append(Step("audio", "aud", shape.drive_mels * shape.n_mels, shape.audio_dims))
    steps.append(Step("conv", "mid", cin + shape.audio_dims, cin, 3, 1))
    for i in reversed(range(shape.levels)):
        skip, skip_c = (f"skip{i - 1}", widths[i - 1]) if i else ("input", 6)
        out = widths[i - 1] if i else max(8, shape.width // 2)
        steps.append(Step("up"))
        steps.append(Step("concat", skip, cin + skip_c))
        steps.append(Step("conv", f"dec{i}a", cin + skip_c, out, 1, 1))
        steps.append(Step("conv", f"dec{i}b", out, out, 3, 1))
        cin = out
    steps.append(Step("conv", "out", cin, 3, 3, 1, "sigmoid"))
    return steps


def parameter_shapes(shape: GeneratorShape) -> dict[str, tuple[int, ...]]:
    """Every weight's name and shape, in torch's layout (conv OIHW, dense out x in)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for step in plan(shape):
        if step.kind == "conv":
            shapes[f"{step.name}.weight"] = (step.cout, step.cin, step.k, step.k)
            shapes[f"{step.name}.bias"] = (step.cout,)
        elif step.kind == "audio":
            shapes["aud0.weight"] = (step.cout, step.cin)
            shapes["aud0.bias"] = (step.cout,)
            shapes["aud1.weight"] = (step.cout, step.cout)
            shapes["aud1.bias"] = (step.cout,)
    return shapes


def multiply_adds(shape: GeneratorShape) -> int:
    """Multiply-accumulates per generated frame (convolutions and dense layers)."""
    size, total = shape.crop, 0
    for step in plan(shape):
        if step.kind == "conv":
            size //= step.stride
            total += size * size * step.cout * step.cin * step.k * step.k
        elif step.kind == "up":
            size *= 2
        elif step.kind == "audio":
            total += step.cin * step.cout + step.cout * step.cout
    return total


def random_weights(shape: GeneratorShape, seed: int = 0) -> dict[str, np.ndarray]:
    """He-normal weights: the benchmark's generator (speed does not depend on the values)."""
    rng = np.random.default_rng(seed)
    weights = {}
    for name, dims in parameter_shapes(shape).items():
        if name.endswith(".bias"):
            weights[name] = np.zeros(dims, np.float32)
        else:
            fan_in = int(np.prod(dims[1:]))
            weights[name] = (rng.standard_normal(dims) * np.sqrt(2.0 / fan_in)).astype(
                np.float32)
    return weights


def onnx_generator(shape: GeneratorShape, weights: dict[str, np.ndarray]):
    """The generator as an ONNX ModelProto: inputs ``face`` [1,6,S,S] and ``audio``
    [1,drive_mels,n_mels]; output ``crop`` [1,3,S,S] in [0, 1]."""
    # Long: the generator's U-Net as one ONNX graph, built layer by layer beside its torch twin
    require("onnx", "onnx", "Building the face generator")
    from onnx import TensorProto, helper, numpy_helper

    expected = parameter_shapes(shape)
    for name, dims in expected.items():
        if name not in weights or tuple(weights[name].shape) != dims:
            raise ValueError(f"weight {name} is missing or not of shape {dims}")
    initializers = [numpy_helper.from_array(np.asarray(weights[name], np.float32), name)
                    for name in expected]
    nodes, saved, count = [], {}, [0]

    def fresh(hint: str) -> str:
        count[0] += 1
        return f"{hint}_{count[0]}"

    def const(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(value, name))
        return name

    up_scales = const("up_scales", np.asarray([1, 1, 2, 2], np.float32))
    current, size = "face", shape.crop
    for step in plan(shape):
        if step.kind == "save":
            saved[step.name] = (current, size)
        elif step.kind == "conv":
            out = fresh(step.name)
            pad = step.k // 2
            nodes.append(helper.make_node(
                "Conv", [current, f"{step.name}.weight", f"{step.name}.bias"], [out],
                kernel_shape=[step.k, step.k], strides=[step.stride, step.stride],
                pads=[pad] * 4))
            size //= step.stride
            current = out
            if step.act:
                activated = fresh(step.act)
                nodes.append(helper.make_node("Relu" if step.act == "relu" else "Sigmoid",
                                              [out], [activated]))
                current = activated
        elif step.kind == "up":
            out = fresh("up")
            nodes.append(helper.make_node("Resize", [current, "", up_scales], [out],
                                          mode="nearest",
                                          coordinate_transformation_mode="asymmetric",
                                          nearest_mode="floor"))
            size *= 2
            current = out
        elif step.kind == "concat":
            out = fresh("cat")
            nodes.append(helper.make_node("Concat", [current, saved[step.name][0]], [out],
                                          axis=1))
            current = out
        elif step.kind == "audio":
            flat = fresh("aud_flat")
            nodes.append(helper.make_node("Flatten", ["audio"], [flat], axis=1))
            hidden = flat
            for layer in ("aud0", "aud1"):
                dense, relu = fresh(layer), fresh("relu")
                nodes.append(helper.make_node("Gemm", [hidden, f"{layer}.weight",
                                                       f"{layer}.bias"], [dense], transB=1))
                nodes.append(helper.make_node("Relu", [dense], [relu]))
                hidden = relu
            column = fresh("aud_col")
            nodes.append(helper.make_node(
                "Reshape", [hidden, const("aud_shape", np.asarray([1, step.cout, 1, 1],
                                                                  np.int64))], [column]))
            tiled = fresh("aud_tile")
            nodes.append(helper.make_node(
                "Expand", [column, const("aud_expand", np.asarray([1, step.cout, size, size],
                                                                  np.int64))], [tiled]))
            out = fresh("cat")
            nodes.append(helper.make_node("Concat", [current, tiled], [out], axis=1))
            current = out
    nodes.append(helper.make_node("Identity", [current], ["crop"]))
    s = shape.crop
    graph = helper.make_graph(
        nodes, "hearth_mouth_generator",
        inputs=[helper.make_tensor_value_info("face", TensorProto.FLOAT, [1, 6, s, s]),
                helper.make_tensor_value_info("audio", TensorProto.FLOAT,
                                              [1, shape.drive_mels, shape.n_mels])],
        outputs=[helper.make_tensor_value_info("crop", TensorProto.FLOAT, [1, 3, s, s])],
        initializer=initializers)
    from desktop.face.builtin_graph import seal_face_model

    return seal_face_model(graph, CONTRACT_V2)


def write_generator(path, shape: GeneratorShape, weights: dict[str, np.ndarray]):
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onnx_generator(shape, weights).SerializeToString())
    return path
