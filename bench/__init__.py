"""Benchmarks of petiq, by subject; each script runs as ``python -m bench.<subject>.<name>`` (``--help`` lists its
options) and prints plain-text tables. Recorded outputs live in ``bench/results/`` (its README says which command
made each file).

- :mod:`bench.denoise`: the denoiser's image quality (PSNR, SSIM, lesion bias, NEMA contrast) against classical
  filters, bundles side by side, how much small hot structure it keeps, a real NEMA IEC scan against EARL 2;
- :mod:`bench.tgd`: the TGD paper's experiments (fine-tuning, kernel drop, online learning) and online variants;
- :mod:`bench.scorer`: the image-quality scorer (IQA) against the model observer;
- :mod:`bench.speed`: wall time and memory of the denoiser, the simulator and the whole ``petiq process``;
- :mod:`bench.service`: the HTTP service under concurrent load and faults.

Shared by several subjects: :mod:`bench.tables` (table formatting) and :mod:`bench.checks` (a target's check).
A script (a module with a ``__main__`` guard) imports no other script: what two need lives in a non-script module
(``tests/bench/test_layout.py`` enforces it).
"""
