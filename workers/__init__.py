"""The worker side of petiq: the Celery app, its thin tasks and the study pipeline they call.

``workers`` may import :mod:`imaging`, :mod:`models` and celery. The pipeline (:mod:`workers.pipeline`) does not
import celery: it runs the same in ``petiq process``, in a test and in a Celery task.
"""
