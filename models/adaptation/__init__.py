"""Per-study online adaptation: Noise2Noise pairs from the study itself, trained by targeted gradient descent."""
