# Copyright (c) ussl_mm contributors. All rights reserved.
"""Shared base of the inpainting self-supervisors on a U-Net."""
from abc import abstractmethod
from typing import Dict, List, Optional, Union

import numpy as np
import torch
from mmpretrain.models.selfsup.base import BaseSelfSupervisor
from mmpretrain.structures import DataSample


class InpaintingSelfSupervisor(BaseSelfSupervisor):
    """Restore a clean image from a corrupted one with an encoder-decoder.

    The corruption itself is done in the data pipeline by
    :class:`~ussl_mm.datasets.transforms.ContextPredictionCorruption` or
    :class:`~ussl_mm.datasets.transforms.ContextRestorationCorruption`, which
    put the corrupted image in ``inputs`` and the clean image in
    ``data_sample.gt_img`` (packed by ``PackInputs(algorithm_keys=['gt_img',
    'corruption_mask'])``). Here the clean image goes through the *same*
    channel conversion and normalisation as the input (the data
    preprocessor's ``mean``/``std``), so input and target live in one space.

    The backbone is the U-Net that the segmentation stage fine-tunes (mmseg
    ``UNet``, ``type='mmseg.UNet'`` under the mmpretrain scope), so its state
    dict keys (``backbone.encoder.*``, ``backbone.decoder.*``) map one to one
    onto the segmentor's. The head (:class:`InpaintingHead`) maps the U-Net's
    full-resolution output to as many channels as the input has.

    Args:
        backbone (dict): U-Net config; its last output must be at input
            resolution (mmseg ``UNet`` with ``downsamples`` and
            ``dec_num_convs`` covering all stages).
        head (dict): Reconstruction head config.
        data_preprocessor (dict, optional): Defaults to None
            (``SelfSupDataPreprocessor``).
        init_cfg (dict | list, optional): Defaults to None.
        **kwargs: Passed to :class:`BaseSelfSupervisor`.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 **kwargs) -> None:
        super().__init__(
            backbone=backbone,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            **kwargs)

    @property
    @abstractmethod
    def corruption_transform(self) -> str:
        """Type name of the pipeline transform this algorithm expects."""

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Full-resolution U-Net features of shape (N, C_base, H, W)."""
        outs = self.backbone(inputs)
        return outs[-1] if isinstance(outs, (list, tuple)) else outs

    def reconstruct(self, inputs: torch.Tensor) -> torch.Tensor:
        """Predicted clean image (normalised space), shape like ``inputs``."""
        return self.head(self.extract_feat(inputs))

    def _normalised_target(self, data_samples: List[DataSample],
                           like: torch.Tensor) -> torch.Tensor:
        """Stack ``gt_img`` of the samples and normalise it like the input."""
        targets = []
        for i, sample in enumerate(data_samples):
            if 'gt_img' not in sample:
                raise KeyError(
                    f'{type(self).__name__}: data sample {i} has no '
                    f'"gt_img". Put a {self.corruption_transform} transform '
                    'at the end of the pipeline and pack it with '
                    "PackInputs(algorithm_keys=['gt_img', "
                    "'corruption_mask']).")
            t = sample.gt_img
            if isinstance(t, np.ndarray):
                t = torch.from_numpy(
                    np.ascontiguousarray(t[..., None] if t.ndim == 2 else t))
                t = t.permute(2, 0, 1)
            targets.append(t)
        target = torch.stack(targets).to(like.device, torch.float32)
        # Through the very preprocessor the input went through (its public
        # forward): the same channel order, mean/std and padding.
        target = self.data_preprocessor(
            dict(inputs=target, data_samples=None), self.training)['inputs']
        if target.shape != like.shape:
            raise ValueError(
                f'{type(self).__name__}: clean target shape '
                f'{tuple(target.shape)} differs from the input shape '
                f'{tuple(like.shape)}; apply geometric transforms before the '
                'corruption transform, not after.')
        return target

    def loss(self, inputs: Union[torch.Tensor, List[torch.Tensor]],
             data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Reconstruction loss of the corrupted batch.

        Args:
            inputs (torch.Tensor | List[torch.Tensor]): Corrupted, normalised
                images (N, C, H, W) (a one-element list is accepted).
            data_samples (List[DataSample]): With ``gt_img`` and optionally
                ``corruption_mask``.

        Returns:
            Dict[str, torch.Tensor]: ``loss`` from the head.
        """
        if isinstance(inputs, (list, tuple)):
            inputs = inputs[0]
        target = self._normalised_target(data_samples, inputs)
        mask = None
        if all('corruption_mask' in s for s in data_samples):
            mask = torch.stack([
                torch.as_tensor(np.asarray(s.corruption_mask))
                for s in data_samples
            ]).to(inputs.device)
        pred = self.reconstruct(inputs)
        return self.head.loss(pred, target, mask)
