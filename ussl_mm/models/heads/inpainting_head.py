# Copyright (c) ussl_mm contributors. All rights reserved.
"""1x1 reconstruction head with a per-channel L2 loss."""
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class InpaintingHead(BaseModule):
    """Map U-Net features to an image and score it with a per-channel L2.

    mmpretrain's reconstruction heads (``MAEPretrainHead``,
    ``SimMIMHead``) work on patch tokens of a ViT; a U-Net needs a plain 1x1
    convolution at full resolution, hence this head.

    The loss is the mean squared error of each channel (averaged over the
    batch and the selected pixels), then averaged over channels, as in the
    inpainting study. Use ``loss_region='all'`` (default, the study's choice:
    the network must also reproduce the uncorrupted context, which keeps the
    whole decoder trained) or ``'corrupted'`` (only the corrupted pixels).

    Args:
        in_channels (int): Channels of the U-Net's last output.
        out_channels (int): Channels of the image. Defaults to 3.
        loss_region (str): ``'all'`` or ``'corrupted'``. Defaults to 'all'.
        loss_weight (float): Defaults to 1.0.
        init_cfg (dict, optional): Defaults to a Kaiming (He) init of the
            1x1 convolution.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 3,
                 loss_region: str = 'all',
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = dict(
                     type='Kaiming', layer='Conv2d', mode='fan_in',
                     nonlinearity='linear')) -> None:
        super().__init__(init_cfg=init_cfg)
        if loss_region not in ('all', 'corrupted'):
            raise ValueError("InpaintingHead: loss_region must be 'all' or "
                             f"'corrupted', got {loss_region!r}.")
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1)
        self.out_channels = out_channels
        self.loss_region = loss_region
        self.loss_weight = loss_weight

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) -> (N, out_channels, H, W)."""
        return self.conv(feats)

    def loss(self,
             pred: torch.Tensor,
             target: torch.Tensor,
             mask: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Per-channel L2 averaged over channels.

        Args:
            pred (torch.Tensor): (N, C, H, W) reconstruction.
            target (torch.Tensor): (N, C, H, W) clean normalised image.
            mask (torch.Tensor, optional): (N, H, W), 1 = corrupted. Needed
                when ``loss_region='corrupted'``. Defaults to None.

        Returns:
            Dict[str, torch.Tensor]: ``{'loss': scalar}``.
        """
        if pred.shape != target.shape:
            raise ValueError(f'InpaintingHead: prediction {tuple(pred.shape)}'
                             f' and target {tuple(target.shape)} differ; set '
                             'out_channels to the number of image channels.')
        sq = (pred - target)**2
        if self.loss_region == 'all':
            per_channel = sq.mean(dim=(0, 2, 3))
        else:
            if mask is None:
                raise ValueError("InpaintingHead: loss_region='corrupted' "
                                 'needs the corruption_mask of the samples.')
            w = mask.to(sq.dtype).unsqueeze(1)
            per_channel = (sq * w).sum(dim=(0, 2, 3)) / w.sum().clamp(min=1)
        return dict(loss=self.loss_weight * per_channel.mean())
