"""The face: v1, a warp graph over a photo driven by visemes; v2, a real person's idle loop with
a mouth generator driven by the voice (docs/face.md); the face detector; loading one for a
persona."""
