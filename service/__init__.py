"""The petiq gateway: DICOMweb (STOW-RS, WADO-RS, QIDO-RS) over a filesystem storage, with bearer-key auth.

Entry point :func:`service.main.create_app`; configuration :class:`service.core.config.Settings`. Never imports
torch.
"""
