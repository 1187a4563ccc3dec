"""The image-quality scorer (IQA) on held-out simulated patients against the model observer
(:mod:`bench.scorer.evaluate`)."""
