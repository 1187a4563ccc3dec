"""Training the denoiser on simulated shards: configuration, data, checkpoints and the loop."""
