"""ussl_mm: self-supervised pretraining for label-efficient medical image
segmentation, as an OpenMMLab 2.x plugin.

Importing this package (e.g. through ``custom_imports=dict(imports=['ussl_mm'])``)
registers its datasets, transforms, algorithms, hooks, model wrappers,
optimizer wrappers and metrics into the mmengine, mmseg and mmpretrain
registries, and does nothing else: mmengine and torch are left as they are.
The tools set up what a run needs explicitly (:mod:`ussl_mm.apis.run`).
"""
from . import datasets, engine, evaluation, models  # noqa: F401
from .version import __version__

__all__ = ['__version__']
