"""Targeted gradient descent (TGD): retrain only the kernels KSE ranks as meaningless, bit-exactly keep the rest.

:mod:`models.tgd.masks` decides which output kernels of each conv layer are retrained; :mod:`models.tgd.trainer`
fine-tunes a :class:`models.dncnn.DnCNN` under those masks. TGDⁿ is the same two steps on an adapted network.
"""
