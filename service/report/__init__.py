"""The radiologist's report page of a job (``GET /v1/jobs/{id}/report``): one self-contained HTML document.

- :mod:`.signing`: signed, expiring links, so that a browser (which cannot send a bearer key) may open a report.
- :mod:`.load`: the edge: the job's input and derived series read from the storage volume.
- :mod:`.figures`: pure: before/after axial slices and coronal MIPs at one window, as PNGs.
- :mod:`.markup`: pure: escaped HTML fragments (every value goes through :func:`html.escape`).
- :mod:`.sections`: pure: the scores, QC, provenance and timings sections of a result.json document.
- :mod:`.page`: pure: the whole page, or a status page for a job that has not succeeded.
"""
