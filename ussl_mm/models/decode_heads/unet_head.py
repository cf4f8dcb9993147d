# Copyright (c) ussl_mm contributors. All rights reserved.
"""U-Net decoder over an encoder's stride-4..32 features, up to full
resolution."""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmseg.models.backbones.unet import BasicConvBlock
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import UpConvBlock, resize
from mmseg.registry import MODELS


@MODELS.register_module()
class UNetHead(BaseDecodeHead):
    """U-Net decoder with skip connections for a pyramid encoder (ResNet).

    It lets the ResNet encoders of the self-supervised pretrainings (DenseCL,
    MoCo v2, SimCLR, SimSiam, Barlow Twins: every ``backbone.`` key of an
    mmpretrain ``ResNet``) be fine-tuned in a decoder that predicts at the
    input resolution, as a U-Net does (`U-Net <https://arxiv.org/abs/
    1505.04597>`_; the ResNet-encoder form of e.g. TernausNet / smp's Unet).
    The encoder stays mmseg's plain-stem ``ResNet`` (``deep_stem=False``,
    undilated, ``out_indices=(0, 1, 2, 3)``), so the verified
    ``PretrainedEncoderHook`` transfers 100 % of the encoder.

    Decoder, coarse to fine (``C_i`` = ``decoder_channels[i]``):

    1. one skip stage per finer input level: the coarser map is resized to
       the skip's size (:func:`mmseg.models.utils.resize`), projected to the
       skip's channels, concatenated with the skip and fused by
       ``num_convs`` 3x3 convolutions: exactly mmseg's U-Net
       :class:`~mmseg.models.utils.UpConvBlock` (with ``upsample_cfg=None``,
       its 1x1 ``ConvModule`` projection; resizing to the skip's exact size
       instead of a fixed x2 keeps odd input sizes working);
    2. then, below the finest encoder level (stride 4 for a ResNet, whose
       stride-2 stem activation is not one of its outputs), x2 bilinear
       upsampling stages without skip, each followed by mmseg's
       :class:`~mmseg.models.backbones.unet.BasicConvBlock`, until stride 1;
    3. ``conv_seg`` (1x1) at full resolution.

    With the default five ``decoder_channels`` and four ResNet levels there
    are three skip stages (32->16->8->4) and two upsampling stages (4->2->1).

    Why not mmseg's heads alone: ``FPNHead`` and ``UPerHead`` fuse the pyramid
    at stride 4 and ``DepthwiseSeparableASPPHead`` (DeepLabV3+) decodes at
    stride 4 with one stride-4 skip; all three predict logits at 1/4 of the
    input and upsample them bilinearly, so no convolution ever sees the
    full-resolution grid, which is what a U-Net has and what thin structures
    (a few-pixel effusion rim) need. mmseg's ``UNet`` is a backbone with its
    own encoder, so it cannot decode a ResNet. This head therefore reuses the
    U-Net's blocks (``UpConvBlock``, ``BasicConvBlock``) over ResNet features.

    Args:
        in_channels (Sequence[int]): Channels of the selected encoder levels,
            finest first, e.g. ``(64, 128, 256, 512)`` for ResNet-18 and
            ``(256, 512, 1024, 2048)`` for ResNet-50.
        decoder_channels (Sequence[int]): Output channels of every decoder
            stage, coarse to fine: ``len(in_channels) - 1`` skip stages, then
            one x2 upsampling stage per remaining entry (two take a ResNet's
            stride 4 to stride 1). Defaults to (256, 128, 64, 32, 16).
        num_convs (int): 3x3 convolutions per stage. Defaults to 2.
        channels (int, optional): Input channels of ``conv_seg``; must equal
            ``decoder_channels[-1]``. Defaults to None (take it from
            ``decoder_channels``).
        **kwargs: Passed to :class:`mmseg.models.decode_heads.BaseDecodeHead`
            (``num_classes``, ``in_index``, ``norm_cfg``, ``loss_decode``,
            ...). ``input_transform`` is always ``'multiple_select'``.

    Raises:
        ValueError: When ``in_index``/``in_channels`` do not select at least
            two levels, ``decoder_channels`` has fewer entries than skip
            stages, or ``channels`` disagrees with ``decoder_channels[-1]``.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 decoder_channels: Sequence[int] = (256, 128, 64, 32, 16),
                 num_convs: int = 2,
                 channels: Optional[int] = None,
                 **kwargs) -> None:
        decoder_channels = tuple(int(c) for c in decoder_channels)
        if not isinstance(in_channels, (list, tuple)) or len(in_channels) < 2:
            raise ValueError(
                'UNetHead: in_channels must list the channels of at least two '
                'encoder levels, finest first (e.g. (64, 128, 256, 512) for '
                f'ResNet-18 with in_index=(0, 1, 2, 3)); got {in_channels!r}.')
        num_skips = len(in_channels) - 1
        if len(decoder_channels) < num_skips:
            raise ValueError(
                f'UNetHead: decoder_channels={decoder_channels} has '
                f'{len(decoder_channels)} stages but the {len(in_channels)} '
                f'encoder levels need at least {num_skips} skip stages (plus '
                'one x2 stage per halving of the finest stride).')
        if channels is not None and int(channels) != decoder_channels[-1]:
            raise ValueError(
                f'UNetHead: channels={channels} must equal the last decoder '
                f'stage, decoder_channels[-1]={decoder_channels[-1]}; drop '
                '`channels` from the config or make them agree.')
        given = kwargs.pop('input_transform', 'multiple_select')
        if given != 'multiple_select':
            raise ValueError(
                "UNetHead: input_transform must be 'multiple_select' (it "
                f'decodes every selected level), got {given!r}.')
        kwargs.setdefault('in_index', tuple(range(len(in_channels))))
        super().__init__(
            in_channels=list(in_channels),
            channels=decoder_channels[-1],
            input_transform='multiple_select',
            **kwargs)
        self.decoder_channels = decoder_channels
        self.num_convs = num_convs
        block_cfg = dict(
            num_convs=num_convs,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)

        self.skip_blocks = nn.ModuleList()
        prev = self.in_channels[-1]
        for i in range(num_skips):
            skip_channels = self.in_channels[-2 - i]
            self.skip_blocks.append(
                UpConvBlock(
                    conv_block=BasicConvBlock,
                    in_channels=prev,
                    skip_channels=skip_channels,
                    out_channels=decoder_channels[i],
                    upsample_cfg=None,
                    **block_cfg))
            prev = decoder_channels[i]
        self.up_blocks = nn.ModuleList()
        for out_channels in decoder_channels[num_skips:]:
            self.up_blocks.append(
                BasicConvBlock(
                    in_channels=prev, out_channels=out_channels, **block_cfg))
            prev = out_channels

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """Decode the selected levels (finest first) into full-size logits.

        Args:
            inputs (list[Tensor]): Multi-level encoder features.

        Returns:
            Tensor: Logits of shape (N, num_classes, H, W), where (H, W) is
            the finest selected level's size times ``2 ** num_up_stages``
            (the input size for a ResNet with the default 5 stages).
        """
        feats = self._transform_inputs(inputs)
        x = feats[-1]
        for i, block in enumerate(self.skip_blocks):
            skip = feats[-2 - i]
            x = resize(
                x,
                size=skip.shape[2:],
                mode='bilinear',
                align_corners=self.align_corners)
            x = block(skip, x)
        for block in self.up_blocks:
            x = resize(
                x,
                scale_factor=2,
                mode='bilinear',
                align_corners=self.align_corners)
            x = block(x)
        return self.cls_seg(x)
