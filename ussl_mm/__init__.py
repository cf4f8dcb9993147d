"""ussl_mm: self-supervised pretraining for label-efficient medical image
segmentation, as an OpenMMLab 2.x plugin.

Importing this package (e.g. through ``custom_imports=dict(imports=['ussl_mm'])``)
registers its datasets, transforms, algorithms, hooks, optimizer wrappers and
metrics into the mmengine, mmseg and mmpretrain registries.
"""
from .utils import compat  # noqa: F401,E402  (must run before the rest)
from . import datasets, engine, evaluation, models  # noqa: F401,E402
from .version import __version__

__all__ = ['__version__']
