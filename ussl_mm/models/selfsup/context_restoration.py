# Copyright (c) ussl_mm contributors. All rights reserved.
from mmpretrain.registry import MODELS

from .inpainting import InpaintingSelfSupervisor


@MODELS.register_module()
class ContextRestoration(InpaintingSelfSupervisor):
    """Context restoration on a U-Net.

    Implementation of `Self-supervised learning for medical image analysis
    using image context restoration <https://doi.org/10.1016/j.media.2019.101539>`_
    with the recipe of `Dominic et al. 2023
    <https://doi.org/10.3390/bioengineering10020207>`_ (32 x 32 patches,
    Poisson-disc sampling, L2 loss on all pixels). Pair it with
    :class:`~ussl_mm.datasets.transforms.ContextRestorationCorruption` in the
    pipeline. See :class:`InpaintingSelfSupervisor` for the arguments.
    """

    @property
    def corruption_transform(self) -> str:
        return 'ContextRestorationCorruption'
