# Copyright (c) ussl_mm contributors. All rights reserved.
"""Dice loss aggregated over the mini-batch, per class."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS


@MODELS.register_module()
class BatchDiceLoss(nn.Module):
    """Soft Dice computed per class over the whole mini-batch, then averaged.

    ``1 - mean_c [ 2 sum_{n,h,w} p_c t_c / (sum p_c + sum t_c) ]`` where the
    sums run over every pixel of every image in the batch (the loss of the
    inpainting study). mmseg 1.2.2 ``DiceLoss`` does not compute this: it
    flattens each image's (class, pixel) one-hot map into one vector
    (``pred.flatten(1)``), so it yields one class-pooled Dice *per image* and
    then averages over images. Per-image Dice is unstable on slices with
    little or no foreground (frequent in MRI/CT volumes); aggregating over the
    batch is what the study used, hence this loss.

    Pixels equal to ``ignore_index`` are excluded.

    Args:
        use_sigmoid (bool): Sigmoid for a single-channel (binary) output;
            otherwise softmax over classes. Defaults to False.
        ignore_background (bool): Drop class 0 from the class average.
            Defaults to False.
        smooth (float): Added to numerator and denominator. Defaults to 1e-5.
        loss_weight (float): Defaults to 1.0.
        loss_name (str): Name in the log; must start with ``loss_`` to be
            back-propagated. Defaults to 'loss_dice'.
    """

    def __init__(self,
                 use_sigmoid: bool = False,
                 ignore_background: bool = False,
                 smooth: float = 1e-5,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_dice') -> None:
        super().__init__()
        self.use_sigmoid = use_sigmoid
        self.ignore_background = ignore_background
        self.smooth = smooth
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                pred: torch.Tensor,
                target: torch.Tensor,
                weight=None,
                ignore_index: int = 255,
                **kwargs) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred (torch.Tensor): Logits (N, C, H, W).
            target (torch.Tensor): Labels (N, H, W).
            weight: Unused (per-pixel weights are not defined for a batch
                Dice); accepted for mmseg's decode-head interface.
            ignore_index (int): Label to ignore. Defaults to 255.

        Returns:
            torch.Tensor: Scalar loss.
        """
        num_classes = pred.shape[1]
        valid = (target != ignore_index).unsqueeze(1).to(pred.dtype)
        if self.use_sigmoid or num_classes == 1:
            prob = pred.sigmoid()
            onehot = (target == 1).unsqueeze(1).to(pred.dtype)
        else:
            prob = pred.softmax(dim=1)
            safe = target.clone()
            safe[target == ignore_index] = 0
            onehot = F.one_hot(safe.long(), num_classes).permute(
                0, 3, 1, 2).to(pred.dtype)
        prob = prob * valid
        onehot = onehot * valid
        dims = (0, 2, 3)
        inter = (prob * onehot).sum(dims)
        denom = prob.sum(dims) + onehot.sum(dims)
        dice = (2 * inter + self.smooth) / (denom + self.smooth)
        if self.ignore_background and dice.numel() > 1:
            dice = dice[1:]
        return self.loss_weight * (1 - dice.mean())

    @property
    def loss_name(self) -> str:
        """Loss name (mmseg convention)."""
        return self._loss_name
