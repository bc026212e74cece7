"""The likeness builder: from a talking video of a real person to a hearth-face-v2 face.

``hearth likeness build --video TALKING.mp4 --out DIR`` reads the video and its sound
(video.py), finds and steadies the face (track.py), picks the idle loop and makes the blend
mask, trains the person's mouth generator (model.py; torch, an optional extra: ``pip install
'hearth[likeness]'``) and writes ``DIR/face/`` under the contract in docs/face.md, which
``hearth create --face DIR/face`` signs into a ``.persona``. ``hearth likeness selftest``
proves it learns on a synthetic talking video of a real photograph (synthetic.py).

Training belongs on the rights holder's side; the app itself never trains and never imports
torch.
"""
