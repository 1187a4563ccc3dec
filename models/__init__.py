"""Networks and their runtimes: the 2.5D DnCNN denoiser, its training, ONNX export and inference engines.

May import :mod:`imaging`, torch and onnxruntime; never the service or the workers.
"""
