"""The HTTP service under concurrent STOW-RS load and injected faults (:mod:`bench.service.load`)."""
