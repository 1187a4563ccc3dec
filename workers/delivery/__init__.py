"""Forwarding a succeeded job's result to a DICOMweb destination (STOW-RS), the task ``petiq.deliver_job``.

- :mod:`.errors`: the delivery branch of the error hierarchy (transient or not).
- :mod:`.stow`: the STOW-RS client: requests of bounded size, the destination's answer read.
- :mod:`.run`: one delivery from the job's manifest, its state written back (what the task calls).
"""
