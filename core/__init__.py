"""What the gateway and the workers share: the one :class:`~core.settings.Settings`, the storage and the jobs.

Where a job's state lives: :mod:`core.jobs` (its manifest, transitions, queue contract, delivery records, the
sweeps that recover lost ones) over :mod:`core.storage` (received instances, series indices, the job folders),
on the storage volume, the source of truth. Also the gateway's branch of the error tree (:mod:`core.errors`),
secret-safe logging helpers (:mod:`core.logs`), DICOM network addresses (:mod:`core.ae`), the adaptation mode
and split-pair rule (:mod:`core.adapt`), the denoising strength level (:mod:`core.strength`), where the weights
are (:mod:`core.weights`, torch-free) and petiq's version (:mod:`core.version`).

Boundaries (``tests/test_boundaries.py`` enforces them; ``python -m tests.import_graph`` prints the table):

- ``core`` may import :mod:`imaging`, pydantic, pydicom and Celery's client side (to enqueue); never
  :mod:`service`, :mod:`workers`, :mod:`models`, torch, onnxruntime or FastAPI;
- :mod:`service` (the HTTP gateway and the DIMSE storage SCP) and :mod:`workers` (Celery, the pipeline, delivery)
  both import ``core`` and never each other.
"""
