"""Training the person's mouth generator in torch, on the plan ONNX also builds from.

Recipe (docs/face.md): each sample is a frame's lower-face crop (the target) and the drive
window of log-mel frames around it. Three samples in four take the reference and the copy
with the inpaint rectangle blanked from one frame 2-10 frames away (another mouth, nearly the
same pose), as the app takes both from a loop frame; the rest take a reference from anywhere
and the target's own blanked copy. The mouth must come from the sound, never from a copy.
Loss: L1 over the crop, plus three times L1 inside the inpaint rectangle,
plus half an edge-aware term (L1 between the horizontal and vertical gradients of output and
target inside the rectangle, which keeps lips and teeth sharp). Adam, learning rate 2e-3
decaying along a cosine to 5 %, batch 16, small shifts of the crop as augmentation.
Checkpoints (model, optimiser, step, random state) are written every ``checkpoint_every``
steps, so a stopped run goes on where it was.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.errors import require
from desktop.face.generator import GeneratorShape, plan


def _torch():
    return require("torch", "torch", "Training the mouth generator (pip install "
                   "'hearth[likeness]')")


def build_module(shape: GeneratorShape):
    """The generator as a torch module whose parameter names are the plan's weight names."""
    torch = _torch()
    nn, functional = torch.nn, torch.nn.functional
    steps = plan(shape)

    class Generator(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleDict()
            for step in steps:
                if step.kind == "conv":
                    self.layers[step.name] = nn.Conv2d(step.cin, step.cout, step.k,
                                                       step.stride, step.k // 2)
                elif step.kind == "audio":
                    self.layers["aud0"] = nn.Linear(step.cin, step.cout)
                    self.layers["aud1"] = nn.Linear(step.cout, step.cout)

        def forward(self, face, audio):
            saved, x = {}, face
            for step in steps:
                if step.kind == "save":
                    saved[step.name] = x
                elif step.kind == "conv":
                    x = self.layers[step.name](x)
                    if step.act == "relu":
                        x = functional.relu(x)
                    elif step.act == "sigmoid":
                        x = torch.sigmoid(x)
                elif step.kind == "up":
                    x = functional.interpolate(x, scale_factor=2, mode="nearest")
                elif step.kind == "concat":
                    x = torch.cat([x, saved[step.name]], dim=1)
                elif step.kind == "audio":
                    a = functional.relu(self.layers["aud0"](audio.flatten(1)))
                    a = functional.relu(self.layers["aud1"](a))
                    a = a[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
                    x = torch.cat([x, a], dim=1)
            return x

    return Generator()


def export_weights(module) -> dict[str, np.ndarray]:
    """The module's weights under the plan's names (``enc0.weight``…), for onnx_generator."""
    return {name.removeprefix("layers."): value.detach().cpu().numpy().astype(np.float32)
            for name, value in module.state_dict().items()}


@dataclass
class TrainingSet:
    crops: np.ndarray  # uint8 [N, S, S, 3]
    drives: np.ndarray  # float32 [N, drive_mels, n_mels]
    train: np.ndarray  # indices of the training frames
    inpaint: tuple[int, int, int, int]


@dataclass
class TrainingProgress:
    step: int
    steps: int
    loss: float
    seconds: float

    @property
    def eta_s(self) -> float:
        return self.seconds / max(1, self.step) * (self.steps - self.step)


def _batch(data: TrainingSet, rng: np.random.Generator, batch: int, torch, shift: int = 2,
           nearby: tuple[int, int] = (2, 10)):
    """Samples as the app will use the model: most take the reference and the blanked copy
    from one frame a few frames away (nearly the target's pose, another mouth), as the app
    takes both from a loop frame of the person silent; so the skin can be copied sharp from
    the reference, and the mouth must come from the sound. The rest take a reference from
    anywhere (identity under other poses) and the target's own blanked copy."""
    targets = rng.choice(data.train, size=batch)
    crops = data.crops
    last = int(data.train.max())
    faces, goals = [], []
    for t in targets:
        dx, dy = rng.integers(-shift, shift + 1, size=2)
        target = np.roll(crops[t], (dy, dx), axis=(0, 1))
        if rng.random() < 0.75:
            offset = int(rng.integers(nearby[0], nearby[1] + 1)) * (1 if rng.random() < 0.5
                                                                    else -1)
            near = int(np.clip(t + offset, 0, last))
            reference = context = np.roll(crops[near], (dy, dx), axis=(0, 1))
        else:
            reference = np.roll(crops[rng.choice(data.train)], (dy, dx), axis=(0, 1))
            context = target
        goals.append(target)
        faces.append(np.concatenate([reference, _blank(context, data.inpaint)], axis=2))
    face = torch.from_numpy(np.stack(faces)).permute(0, 3, 1, 2).float() / 255.0
    goal = torch.from_numpy(np.stack(goals)).permute(0, 3, 1, 2).float() / 255.0
    audio = torch.from_numpy(data.drives[targets])
    return face, audio, goal


def _blank(crop: np.ndarray, inpaint: tuple[int, int, int, int]) -> np.ndarray:
    out = crop.copy()
    x0, y0, x1, y1 = inpaint
    out[y0:y1, x0:x1] = 0
    return out


def loss_fn(output, target, inpaint: tuple[int, int, int, int]):
    torch = _torch()
    x0, y0, x1, y1 = inpaint
    inside_out, inside_goal = output[:, :, y0:y1, x0:x1], target[:, :, y0:y1, x0:x1]
    l1 = torch.mean(torch.abs(output - target))
    roi = torch.mean(torch.abs(inside_out - inside_goal))

    def grads(image):
        return (image[:, :, 1:, :] - image[:, :, :-1, :], image[:, :, :, 1:] - image[:, :, :, :-1])

    (gy_o, gx_o), (gy_t, gx_t) = grads(inside_out), grads(inside_goal)
    edges = torch.mean(torch.abs(gy_o - gy_t)) + torch.mean(torch.abs(gx_o - gx_t))
    return l1 + 3.0 * roi + 0.5 * edges


def train(shape: GeneratorShape, data: TrainingSet, steps: int, checkpoint: Path,
          threads: int = 0, batch: int = 16, lr: float = 2e-3, seed: int = 0,
          device: str = "cpu", checkpoint_every: int = 200,
          progress: Callable[[TrainingProgress], None] | None = None):
    """Trains (or goes on training from ``checkpoint``) and returns the module on the CPU."""
    torch = _torch()
    if threads:
        torch.set_num_threads(threads)
    if device == "cuda" and not torch.cuda.is_available():
        from desktop.errors import HearthError

        raise HearthError("--device cuda was asked for, but torch sees no CUDA GPU.",
                          "Install a CUDA build of torch, or train with --device cpu.")
    torch.manual_seed(seed)
    module = build_module(shape).to(device)
    optimiser = torch.optim.Adam(module.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    done = 0
    if checkpoint.is_file():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        if state.get("shape") == shape.__dict__ and state.get("steps") == steps:
            module.load_state_dict(state["model"])
            optimiser.load_state_dict(state["optimiser"])
            rng.bit_generator.state = state["rng"]
            done = int(state["step"])
    started = time.monotonic()
    module.train()
    loss_value = float("nan")
    for step in range(done, steps):
        for group in optimiser.param_groups:
            group["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        face, audio, goal = (t.to(device) for t in _batch(data, rng, batch, torch))
        loss = loss_fn(module(face, audio), goal, data.inpaint)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        loss_value = float(loss.detach())
        if (step + 1) % checkpoint_every == 0 or step + 1 == steps:
            partial = checkpoint.with_suffix(".part")
            torch.save({"model": module.state_dict(), "optimiser": optimiser.state_dict(),
                        "step": step + 1, "steps": steps, "rng": rng.bit_generator.state,
                        "shape": shape.__dict__}, partial)
            partial.replace(checkpoint)
        if progress is not None:
            progress(TrainingProgress(step + 1, steps, loss_value,
                                      time.monotonic() - started))
    return module.cpu().eval()
