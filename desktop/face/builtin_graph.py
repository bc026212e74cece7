"""Builds Hearth's built-in face renderer: a parametric warp network (GridSample) in ONNX.

Every output pixel samples the portrait at a displaced position. The displacement field is a
sum of smooth Gaussian bumps placed by the face rig: the jaw and lower lip move down, the
upper lip up, the lips spread or round, the upper eyelids slide down over the eyes, the brows
lift, and the whole head turns, nods and tilts about the face centre. A soft ellipse darkens
the open mouth. No learned weights: the graph is generated here and shipped as
``assets/renderer/builtin-warp.onnx``; ``python -m desktop.face.builtin_graph``
regenerates it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop.errors import require
from desktop.face.contract import CONTRACT, PARAM_INDEX

OPSET = 17


class _Graph:
    """A small expression builder over onnx.helper, so the warp reads like the maths."""

    def __init__(self) -> None:
        self.helper = require("onnx", "onnx", "Building the face renderer").helper
        self.nodes: list = []
        self.count = 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def op(self, op_type: str, *inputs: str, hint: str = "t", **attrs) -> str:
        out = self.name(hint)
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def const(self, value, dtype=np.float32, hint: str = "c") -> str:
        from onnx import numpy_helper

        out = self.name(hint)
        array = np.asarray(value, dtype=dtype)
        self.nodes.append(
            self.helper.make_node(
                "Constant", [], [out], value=numpy_helper.from_array(array, out + "_v")
            )
        )
        return out

    def add(self, a: str, b: str) -> str:
        return self.op("Add", a, b)

    def sub(self, a: str, b: str) -> str:
        return self.op("Sub", a, b)

    def mul(self, a: str, b: str) -> str:
        return self.op("Mul", a, b)

    def div(self, a: str, b: str) -> str:
        return self.op("Div", a, b)

    def scale(self, a: str, k: float) -> str:
        return self.mul(a, self.const(k))

    def pick(self, tensor: str, index: int) -> str:
        """Element ``index`` of a [1, K] input as a scalar-shaped [1, 1] tensor."""
        return self.op("Gather", tensor, self.const([index], np.int64), axis=1)

    def gaussian(self, x: str, y: str, cx: str, cy: str, sx: str, sy: str) -> str:
        dx = self.div(self.sub(x, cx), sx)
        dy = self.div(self.sub(y, cy), sy)
        sq = self.add(self.mul(dx, dx), self.mul(dy, dy))
        return self.op("Exp", self.scale(sq, -1.0))


def build_renderer_graph():
    # Long: the built-in warp renderer is one ONNX graph, built node by node in the order it
    # computes
    require("onnx", "onnx", "Building the face renderer")
    from onnx import TensorProto, helper

    g = _Graph()
    p = {name: g.pick("params", index) for name, index in PARAM_INDEX.items()}
    rig = {index: g.pick("rig", index) for index in range(12)}
    lex, ley, rex, rey = rig[0], rig[1], rig[2], rig[3]
    mx, my, mw, mh = rig[4], rig[5], rig[6], rig[7]
    fx, fy, fw, fh = rig[8], rig[9], rig[10], rig[11]

    # Pixel-centre coordinates in [-1, 1]: xs is [1, W], ys is [H, 1]; they broadcast to [H, W].
    shape = g.op("Shape", "portrait")
    height = g.op("Cast", g.op("Gather", shape, g.const(2, np.int64), axis=0), to=1)
    width = g.op("Cast", g.op("Gather", shape, g.const(3, np.int64), axis=0), to=1)
    zero, one, half = g.const(0.0), g.const(1.0), g.const(0.5)

    def axis(length: str) -> str:
        idx = g.op("Range", zero, length, one)
        return g.sub(g.scale(g.div(g.add(idx, half), length), 2.0), one)

    xs = g.op("Unsqueeze", axis(width), g.const([0], np.int64))  # [1, W]
    ys = g.op("Unsqueeze", axis(height), g.const([1], np.int64))  # [H, 1]
    x = g.add(xs, g.scale(ys, 0.0))  # [H, W]
    y = g.add(ys, g.scale(xs, 0.0))

    # 1. Head pose: inverse rotation about the face centre plus a yaw/pitch shift.
    roll, yaw, pitch = p["head_roll"], p["head_yaw"], p["head_pitch"]
    cos_r, sin_r = g.op("Cos", roll), g.op("Sin", roll)
    rx, ry = g.sub(x, fx), g.sub(y, fy)
    src_x = g.add(g.add(g.mul(cos_r, rx), g.mul(sin_r, ry)), fx)
    src_y = g.add(g.sub(g.mul(cos_r, ry), g.mul(sin_r, rx)), fy)
    face_mask = g.gaussian(x, y, fx, fy, g.scale(fw, 0.9), g.scale(fh, 0.9))
    src_x = g.sub(src_x, g.mul(face_mask, g.mul(yaw, g.scale(fw, 0.35))))
    src_y = g.sub(src_y, g.mul(face_mask, g.mul(pitch, g.scale(fh, 0.30))))

    # 2. Mouth: the lower lip and jaw move down by up to 0.45 mouth heights... in fact more,
    # since an open mouth is about as tall as it is wide; the upper lip rises a little.
    jaw, wide, rnd = p["jaw_open"], p["mouth_wide"], p["mouth_round"]
    lower_y = g.add(my, g.scale(mh, 0.6))
    lower = g.gaussian(x, y, mx, lower_y, g.scale(mw, 0.75), g.scale(mh, 2.2))
    src_y = g.sub(src_y, g.mul(lower, g.mul(jaw, g.scale(mw, 0.32))))
    upper = g.gaussian(x, y, mx, g.sub(my, g.scale(mh, 0.6)), g.scale(mw, 0.6), mh)
    src_y = g.add(src_y, g.mul(upper, g.mul(jaw, g.scale(mh, 0.35))))
    lips = g.gaussian(x, y, mx, my, g.scale(mw, 0.9), g.scale(mh, 1.6))
    spread = g.sub(g.scale(wide, 0.22), g.scale(rnd, 0.28))  # >0 spreads, <0 rounds
    src_x = g.sub(src_x, g.mul(g.mul(lips, spread), g.sub(x, mx)))

    # 3. Eyes: the upper lid slides down over each eye; brows lift.
    eye_w, eye_h = g.scale(fw, 0.16), g.scale(fh, 0.07)
    for ex, ey, blink in ((lex, ley, p["blink_left"]), (rex, rey, p["blink_right"])):
        lid = g.gaussian(x, y, ex, g.add(ey, g.scale(eye_h, 0.3)), eye_w, eye_h)
        src_y = g.sub(src_y, g.mul(lid, g.mul(blink, g.scale(eye_h, 1.6))))
        brow = g.gaussian(x, y, ex, g.sub(ey, g.scale(eye_h, 2.2)), eye_w, eye_h)
        src_y = g.add(src_y, g.mul(brow, g.mul(p["brow_raise"], g.scale(eye_h, 0.8))))

    grid = g.op(
        "Unsqueeze",
        g.op("Concat",
             g.op("Unsqueeze", src_x, g.const([2], np.int64)),
             g.op("Unsqueeze", src_y, g.const([2], np.int64)), axis=2),
        g.const([0], np.int64),
    )  # [1, H, W, 2]
    warped = g.op("GridSample", "portrait", grid, align_corners=0, mode="bilinear",
                  padding_mode="border")

    # 4. The open mouth's interior, colour-matched to this face: the lips' own mean colour
    # (the portrait under a soft lip mask), darkened and warmed, fills a soft ellipse that
    # grows with the jaw, with a band of teeth along its top edge; never a blue-black hole.
    lip_mask = g.op("Unsqueeze", g.gaussian(x, y, mx, my, g.scale(mw, 0.5), g.scale(mh, 0.8)),
                    g.const([0, 1], np.int64))  # [1, 1, H, W]
    lip_sum = g.op("ReduceSum", g.mul("portrait", lip_mask), g.const([2, 3], np.int64),
                   keepdims=1)
    lip_colour = g.div(lip_sum, g.add(g.op("ReduceSum", lip_mask, g.const([2, 3], np.int64),
                                           keepdims=1), g.const(1e-6)))  # [1, 3, 1, 1]
    interior = g.mul(lip_colour, g.const(np.array([0.42, 0.22, 0.22], np.float32)
                                         .reshape(1, 3, 1, 1)))
    teeth_colour = g.const(np.array([0.86, 0.83, 0.78], np.float32).reshape(1, 3, 1, 1))
    opening = g.op("Min", g.scale(jaw, 3.0), one)
    cavity_h = g.add(g.scale(g.mul(jaw, mw), 0.22), g.const(1e-3))
    cavity_y = g.add(my, g.scale(mh, 0.35))
    cavity = g.gaussian(x, y, mx, cavity_y,
                        g.mul(g.scale(mw, 0.34), g.sub(one, g.scale(rnd, 0.4))), cavity_h)
    teeth = g.gaussian(x, y, mx, g.sub(cavity_y, g.scale(cavity_h, 0.75)),
                       g.scale(mw, 0.26), g.scale(cavity_h, 0.35))
    fill = g.op("Unsqueeze", g.mul(g.scale(cavity, 0.92), opening), g.const([0, 1], np.int64))
    tooth = g.op("Unsqueeze", g.mul(g.mul(g.scale(teeth, 0.7), cavity), opening),
                 g.const([0, 1], np.int64))
    inside = g.add(g.mul(interior, g.sub(one, tooth)), g.mul(teeth_colour, tooth))
    frame = g.add(g.mul(warped, g.sub(one, fill)), g.mul(inside, fill))
    g.nodes.append(helper.make_node("Clip", [frame, zero, one], ["frame"]))

    graph = helper.make_graph(
        g.nodes,
        "hearth_builtin_warp",
        inputs=[
            helper.make_tensor_value_info("portrait", TensorProto.FLOAT, [1, 3, "H", "W"]),
            helper.make_tensor_value_info("rig", TensorProto.FLOAT, [1, 12]),
            helper.make_tensor_value_info("params", TensorProto.FLOAT, [1, len(PARAM_INDEX)]),
        ],
        outputs=[helper.make_tensor_value_info("frame", TensorProto.FLOAT, [1, 3, "H", "W"])],
    )
    return seal_face_model(graph, CONTRACT)


def seal_face_model(graph, contract: str):
    """A face graph as a checked ModelProto (opset 17, IR 8) that declares its contract in
    the metadata, as every face model Hearth loads must (v1 warp and v2 generator alike)."""
    onnx = require("onnx", "onnx", "Building a face model")
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    model.producer_name = "hearth"
    helper.set_model_props(model, {"hearth.renderer_contract": contract})
    onnx.checker.check_model(model)
    return model


def write_renderer(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_renderer_graph().SerializeToString())
    return path


if __name__ == "__main__":
    from desktop.paths import asset_path

    print(write_renderer(asset_path("renderer", "builtin-warp.onnx")))
