"""The clinical image-quality scorer (GQR, PR, DC): patches → compact residual CNN → series scores.

Modules, one per stage: :mod:`.patches` (sampling), :mod:`.network` (the CNN), :mod:`.observer` and
:mod:`.labels` (the model observer that labels simulated studies), :mod:`.dataset` (simulated training data),
:mod:`.training` (pretext and score stages), :mod:`.bundle` (weights on disk), :mod:`.scoring` (a series'
scores), :mod:`.site` (a site's clinician scores: CSV, refit, leave-one-patient-out figures).
"""
