"""Forwarding a succeeded job's result to its destinations, the task ``petiq.deliver_job``: a DICOMweb service
(STOW-RS) and/or a DICOM storage SCP (C-STORE).

- :mod:`.errors`: the delivery branch of the error hierarchy (transient or not).
- :mod:`.stow`: the STOW-RS client: requests of bounded size, the destination's answer read.
- :mod:`.cstore`: the C-STORE SCU: one association, each instance's status; with :mod:`.association` (opening
  it, why it was refused), :mod:`.dimse_files` (the files' meta, the presentation contexts), :mod:`.statuses`
  (what a status means) and :mod:`.tally` (the answers counted).
- :mod:`.targets`: the destinations of a job, each with its sender, and the result of one send.
- :mod:`.run`: one delivery from the job's manifest, its state written back (what the task calls).
"""
