"""The TGD paper's experiments (:mod:`bench.tgd.experiments`) and the online-learning variants
(:mod:`bench.tgd.online_variants`)."""
