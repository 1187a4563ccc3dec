"""Wall time and memory: the denoiser (:mod:`bench.speed.denoise`), the simulator (:mod:`bench.speed.simulate`)
and ``petiq process`` stage by stage (:mod:`bench.speed.pipeline`)."""
