"""The petiq gateway: DICOMweb (STOW-RS, WADO-RS, QIDO-RS), the job API, the report page and the DIMSE storage
SCP, over the shared storage of :mod:`core`, with bearer-key auth.

Entry point :func:`service.main.create_app`; configuration :class:`core.settings.Settings`. May import
:mod:`core`, :mod:`imaging`, FastAPI and pynetdicom; never :mod:`workers`, :mod:`models`, torch or onnxruntime
(``tests/test_boundaries.py``).
"""
