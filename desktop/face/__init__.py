"""The face: renderer models (onnxruntime), visemes, idle motion and the frame schedule."""
