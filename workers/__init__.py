"""The worker side of petiq: the Celery app, its thin tasks, the study pipeline they call and the delivery of
results (STOW-RS, C-STORE).

``workers`` may import :mod:`core` (settings, storage, jobs), :mod:`imaging`, :mod:`models` and celery; never
:mod:`service` or FastAPI (``tests/test_boundaries.py``). The pipeline (:mod:`workers.pipeline`) does not import
celery: it runs the same in ``petiq process``, in a test and in a Celery task.
"""
