"""The study pipeline: one module per stage, chained by :func:`workers.pipeline.job.run_process`.

::

    load (read + validate the series) → [adapt] → denoise → [uncertainty] → qc → [score]
        → write (derived series [+ uncertainty series] + SR + result.json)

- :mod:`.settings`: where the denoiser's weights are (``PETIQ_DENOISER_WEIGHTS``, else the shipped bundle).
- :mod:`.load`: the input series as a :class:`~imaging.dicom.reader.PetSeries`.
- :mod:`.denoise`: the bundle's engine over the volume.
- :mod:`.uncertainty`: the voxel-wise uncertainty of the output from the two half-count splits.
- :mod:`.qc`: pure quantitative checks (SUVmax, body activity, noise in a uniform region).
- :mod:`.result`: the ``result.json`` document (DESIGN.md §3).
- :mod:`.write`: the derived DICOM series and the all-or-nothing output folder.
- :mod:`.report_sr`: the scores SR (``scores-sr.dcm``, :mod:`imaging.dicom.sr`) built from the result document.
- :mod:`.job`: the request and the job that runs the stages, timed.

None of these modules imports celery, nor torch when imported: torch is loaded by the stages that run a torch
network (an adaptation, the scorer, a torch engine), so a job with neither runs on onnxruntime alone.
"""
