"""The denoiser's image quality on held-out simulations: against Gaussian and non-local-means filters
(:mod:`bench.denoise.quality`), bundles side by side (:mod:`bench.denoise.width_compare`) and small hot structure
(:mod:`bench.denoise.blob_excess`, :mod:`bench.denoise.blob_implant`); and a real NEMA IEC phantom scan against the
EARL 2 recovery bands (:mod:`bench.denoise.nema_real`)."""
