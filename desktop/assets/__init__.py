"""Shipped data: the warp renderer graph, the bundled persona, the model catalog, schemas,
translations and the signed publisher list."""
