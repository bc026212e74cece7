"""``hearth bench``: the speed of the real engines on random-weight models of real shapes
(docs/benchmarks.md). ``run`` is the command; ``core`` measures the LLM, the voice, the face
renderer and whole turns; ``voice`` a hands-free call through PulseAudio; ``face`` the v2 face
beside the LLM; ``common`` what they share."""
