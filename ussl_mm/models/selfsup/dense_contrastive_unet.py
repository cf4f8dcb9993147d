# Copyright (c) ussl_mm contributors. All rights reserved.
"""Pixel-level contrastive pretraining of a whole U-Net (encoder + decoder)."""
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmpretrain.models.selfsup.base import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

_PACK_HINT = ("put TwoViewCrop after the loader and pack it with "
              "PackInputs(algorithm_keys=['view_boxes', 'view_flips'])")


def view_grid(points: torch.Tensor, boxes: torch.Tensor,
              flips: torch.Tensor) -> torch.Tensor:
    """Where image points lie in a view, in ``grid_sample`` coordinates.

    The inverse of the geometry :class:`~ussl_mm.datasets.transforms.
    TwoViewCrop` records: a view is its box resized to the view size
    (half-pixel centres) and mirrored left-right when flipped, so the
    normalised coordinate does not depend on the view size.

    Args:
        points (torch.Tensor): (B, N, 2) image points ``(x, y)`` in
            pixel-edge coordinates of the input image.
        boxes (torch.Tensor): (B, 4) the view's crop ``(x0, y0, x1, y1)``.
        flips (torch.Tensor): (B, ) bool, the view is mirrored left-right.

    Returns:
        torch.Tensor: (B, N, 2) ``(gx, gy)`` for
        ``F.grid_sample(..., align_corners=False)``; within [-1, 1] for
        points inside the box.
    """
    boxes = boxes.to(points.dtype)
    lo, hi = boxes[:, None, :2], boxes[:, None, 2:]
    grid = 2 * (points - lo) / (hi - lo) - 1
    sign = torch.where(flips.bool(), -1.0, 1.0).to(points.dtype)
    return torch.stack([grid[..., 0] * sign[:, None], grid[..., 1]], -1)


def sample_overlap_points(boxes: torch.Tensor,
                          num_points: int,
                          generator: Optional[torch.Generator] = None
                          ) -> torch.Tensor:
    """Uniform random image points in the overlap of two views' crops.

    Args:
        boxes (torch.Tensor): (B, 2, 4) both views' ``(x0, y0, x1, y1)``.
        num_points (int): Points per image.
        generator (torch.Generator, optional): Defaults to None (the global
            generator).

    Returns:
        torch.Tensor: (B, num_points, 2) points ``(x, y)`` in the input
        image's pixel-edge coordinates.

    Raises:
        ValueError: If the two crops of an image do not overlap.
    """
    boxes = boxes.float()
    lo = torch.maximum(boxes[:, 0, :2], boxes[:, 1, :2])
    hi = torch.minimum(boxes[:, 0, 2:], boxes[:, 1, 2:])
    empty = (hi <= lo).any(-1)
    if empty.any():
        raise ValueError(
            f'DenseContrastiveUNet: the two views of batch item(s) '
            f'{empty.nonzero().flatten().tolist()} do not overlap (boxes '
            f'{boxes[empty].tolist()}); TwoViewCrop guarantees an overlap '
            '(min_overlap > 0), so the boxes were not made by it.')
    r = torch.rand(boxes.size(0), num_points, 2, generator=generator,
                   device=boxes.device)
    return lo[:, None] + r * (hi - lo)[:, None]


@MODELS.register_module()
class DenseContrastiveUNet(BaseSelfSupervisor):
    """Dense (pixel-level) contrastive pretraining of a U-Net.

    A PixPro/VICRegL-style pretext (`PixPro <https://arxiv.org/abs/
    2011.10043>`_, `VICRegL <https://arxiv.org/abs/2210.01571>`_, with the
    InfoNCE of `DenseCL <https://arxiv.org/abs/2011.09157>`_ / `SimCLR
    <https://arxiv.org/abs/2002.05709>`_) for the encoder *and* the decoder
    that the segmentor fine-tunes. Two crops of one image
    (:class:`~ussl_mm.datasets.transforms.TwoViewCrop`: different position,
    scale, lateral flip and ultrasound-safe intensity changes) go through the
    U-Net; its full-resolution output goes through the 1x1-conv projection
    of mmpretrain's ``DenseCLNeck`` (``num_grid=None``: no pooling). Then
    ``num_points`` random points of each image's crop overlap are mapped
    into both views (:func:`view_grid`) and the embeddings are read there
    (``grid_sample``). The dense loss is a symmetric InfoNCE: the positive
    of a point is the same point in the other view, its negatives all other
    sampled points of the batch, both views, except points of the same image
    within ``neg_radius`` input pixels (near-duplicates, not negatives).
    The global term (weight ``1 - loss_lambda``) is the same InfoNCE on the
    neck's pooled image embeddings (SimCLR's NT-Xent).

    Why not mmpretrain's ``DenseCL``: it matches its dense positives by
    feature similarity on a coarse 7 x 7 ResNet grid and contrasts them
    against a queue; here the correspondence is known from the crop
    geometry at every pixel, and the U-Net decoder (which DenseCL never
    trains) is in the loss. There is no momentum encoder or queue: the
    negatives of a batch (2 x B x ``num_points``) are plenty, and GroupNorm
    in the U-Net leaves no batch statistics to cheat with. Negatives are
    not gathered across processes.

    The backbone is the segmentor's U-Net (``type='mmseg.UNet'`` from the
    mmpretrain scope), so ``backbone.encoder.*`` and ``backbone.decoder.*``
    transfer one to one (``PretrainedEncoderHook``,
    ``mode='encoder+decoder'``); the neck and head are dropped.

    Args:
        backbone (dict): U-Net config; its last output must be at input
            resolution.
        neck (dict): ``DenseCLNeck`` config with ``num_grid=None``.
        head (dict): ``ContrastiveHead`` config (its ``temperature``).
        num_points (int): Points sampled per image in the crops' overlap.
            Defaults to 64.
        neg_radius (float): Points of one image closer than this (input
            image pixels) are not each other's negatives. 0 keeps every
            negative. Defaults to 4.0.
        loss_lambda (float): Weight of the dense loss; the global one gets
            ``1 - loss_lambda`` (DenseCL's convention). With 1.0 the global
            term is skipped and the neck's global MLP gets no gradient.
            Defaults to 0.5.
        data_preprocessor (dict, optional): Defaults to None
            (``SelfSupDataPreprocessor``).
        init_cfg (dict | list, optional): Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 num_points: int = 64,
                 neg_radius: float = 4.0,
                 loss_lambda: float = 0.5,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if not 0.0 <= loss_lambda <= 1.0:
            raise ValueError('DenseContrastiveUNet: loss_lambda (the dense '
                             f'loss weight) must be in [0, 1], got '
                             f'{loss_lambda}.')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if getattr(self.neck, 'with_pool', False):
            raise ValueError(
                'DenseContrastiveUNet: the neck pools the dense features '
                '(DenseCLNeck num_grid is set); set neck.num_grid=None so '
                'that embeddings stay at full resolution.')
        self.num_points = num_points
        self.neg_radius = neg_radius
        self.loss_lambda = loss_lambda

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Full-resolution U-Net features of shape (N, C_base, H, W)."""
        outs = self.backbone(inputs)
        return outs[-1] if isinstance(outs, (list, tuple)) else outs

    @staticmethod
    def _geometry(data_samples: List[DataSample],
                  device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
        """Stacked ``view_boxes`` (B, 2, 4) and ``view_flips`` (B, 2)."""
        boxes, flips = [], []
        for i, sample in enumerate(data_samples):
            for key in ('view_boxes', 'view_flips'):
                if key not in sample:
                    raise KeyError(
                        f'DenseContrastiveUNet: data sample {i} has no '
                        f'"{key}"; {_PACK_HINT}.')
            boxes.append(torch.as_tensor(sample.view_boxes,
                                         dtype=torch.float32))
            flips.append(torch.as_tensor(sample.view_flips).bool())
        boxes, flips = torch.stack(boxes), torch.stack(flips)
        if boxes.shape[1:] != (2, 4) or flips.shape[1:] != (2, ):
            raise ValueError(
                'DenseContrastiveUNet: expected view_boxes (2, 4) and '
                f'view_flips (2, ) per sample, got {tuple(boxes.shape[1:])} '
                f'and {tuple(flips.shape[1:])}; {_PACK_HINT}.')
        return boxes.to(device), flips.to(device)

    def _info_nce(self,
                  z1: torch.Tensor,
                  z2: torch.Tensor,
                  exclude: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Symmetric InfoNCE (NT-Xent) of paired rows of ``z1`` and ``z2``.

        Row ``i`` of ``z1`` and of ``z2`` are positives; every other row of
        both is a negative unless ``exclude`` (2M, 2M) says otherwise.
        Computed in float32 (outside autocast): with thousands of negatives,
        bfloat16 similarities are too coarse for a temperature of 0.2.
        """
        with torch.autocast(device_type=z1.device.type, enabled=False):
            z = F.normalize(torch.cat([z1, z2]).float(), dim=1)
            n = z.size(0)
            half = n // 2
            sim = z @ z.t()
            idx = torch.arange(n, device=z.device)
            pos_idx = (idx + half) % n
            pos = sim[idx, pos_idx].unsqueeze(1)
            keep = torch.ones(n, n, dtype=torch.bool, device=z.device)
            keep[idx, idx] = False
            keep[idx, pos_idx] = False
            neg = sim.masked_select(keep).view(n, n - 2)
            if exclude is not None:
                neg = neg.masked_fill(
                    exclude.masked_select(keep).view(n, n - 2),
                    float('-inf'))
            return self.head.loss(pos, neg)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Dense (and global) InfoNCE of the two views.

        Args:
            inputs (List[torch.Tensor]): The two views, each (B, C, H, W),
                normalised.
            data_samples (List[DataSample]): With ``view_boxes`` and
                ``view_flips`` (:class:`TwoViewCrop`).

        Returns:
            Dict[str, torch.Tensor]: ``loss_dense`` (times ``loss_lambda``)
            and, unless ``loss_lambda`` is 1, ``loss_global`` (times
            ``1 - loss_lambda``).
        """
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2 or \
                inputs[0].shape != inputs[1].shape:
            shapes = [tuple(x.shape) for x in inputs] if isinstance(
                inputs, (list, tuple)) else tuple(inputs.shape)
            raise ValueError(
                'DenseContrastiveUNet: expected two views of equal shape, '
                f'got {shapes}; {_PACK_HINT}.')
        b, _, h, w = inputs[0].shape
        boxes, flips = self._geometry(data_samples, inputs[0].device)
        feat = self.extract_feat(torch.cat(inputs))  # (2B, C, H, W)
        if feat.shape[-2:] != (h, w):
            raise ValueError(
                'DenseContrastiveUNet: the backbone output is '
                f'{tuple(feat.shape[-2:])}, not the input size {(h, w)}; the '
                'U-Net must decode back to full resolution (as many decoder '
                'stages as downsamplings).')
        glob, dense, _ = self.neck((feat, ))
        dense = dense.view(2 * b, -1, h, w)

        points = sample_overlap_points(boxes, self.num_points)  # (B, N, 2)
        n = points.size(1)
        emb = []
        for k in range(2):
            grid = view_grid(points, boxes[:, k], flips[:, k])
            e = F.grid_sample(
                dense[k * b:(k + 1) * b],
                grid.unsqueeze(2).to(dense.dtype),
                mode='bilinear',
                padding_mode='border',
                align_corners=False)  # (B, D, N, 1)
            emb.append(e.squeeze(3).permute(0, 2, 1).reshape(b * n, -1))
        exclude = None
        if self.neg_radius > 0:
            pts = points.reshape(b * n, 2).repeat(2, 1)
            img = torch.arange(b, device=pts.device).repeat_interleave(
                n).repeat(2)
            exclude = (img[:, None] == img[None]) & (
                torch.cdist(pts, pts) < self.neg_radius)
        losses = dict(
            loss_dense=self.loss_lambda *
            self._info_nce(emb[0], emb[1], exclude))
        if self.loss_lambda < 1:
            losses['loss_global'] = (1 - self.loss_lambda) * self._info_nce(
                glob[:b], glob[b:])
        return losses
