# Copyright (c) ussl_mm contributors. All rights reserved.
from mmpretrain.registry import MODELS

from .inpainting import InpaintingSelfSupervisor


@MODELS.register_module()
class ContextPrediction(InpaintingSelfSupervisor):
    """Context prediction (inpainting) on a U-Net.

    Implementation of `Context Encoders: Feature Learning by Inpainting
    <https://arxiv.org/abs/1604.07379>`_ in the form studied by `Dominic et al.
    2023 <https://doi.org/10.3390/bioengineering10020207>`_: K x K patches set
    to the mean (0 after normalisation), a U-Net restores the image, L2 loss
    on all pixels. Pair it with
    :class:`~ussl_mm.datasets.transforms.ContextPredictionCorruption` in the
    pipeline. See :class:`InpaintingSelfSupervisor` for the arguments.
    """

    @property
    def corruption_transform(self) -> str:
        return 'ContextPredictionCorruption'
