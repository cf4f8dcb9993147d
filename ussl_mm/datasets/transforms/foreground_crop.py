# Copyright (c) ussl_mm contributors. All rights reserved.
"""Random crop that is centred on a foreground pixel with probability p."""
from typing import Tuple, Union

import numpy as np
from mmcv.transforms import TRANSFORMS
from mmcv.transforms.utils import cache_randomness
from mmseg.datasets.transforms import RandomCrop


@TRANSFORMS.register_module()
class RandomForegroundCrop(RandomCrop):
    """mmseg's ``RandomCrop`` that, with probability ``fg_prob``, centres the
    crop on a random pixel of a random foreground class present in the
    mask (nnU-Net's foreground oversampling, ``oversample_foreground_percent
    = 0.33``, in 2-D).

    Why not mmseg's ``RandomCrop(cat_max_ratio=...)``: it redraws a uniform
    crop up to 10 times until no class covers more than ``cat_max_ratio`` of
    it, then keeps the last draw. When the foreground is small (deep-brain
    nuclei cover ~1 % of an axial MRI slice, a 128 px crop of it stays > 95 %
    background), no draw satisfies the ratio and the crop stays uniform:
    the rare classes are not sampled more often. Here a crop contains
    foreground whenever the slice has some, on ``fg_prob`` of the draws,
    and the other draws stay uniform (the background is still seen
    everywhere). Classes are drawn uniformly among those present, so a rare
    class is not drowned by a frequent one.

    A dimension of the image smaller than ``crop_size`` is kept whole (as in
    ``RandomCrop``); the data preprocessor's ``size`` pads the batch.
    Cropping itself is ``RandomCrop.crop`` (image and every key of
    ``seg_fields``).

    Required Keys: img, gt_seg_map (to find the foreground), seg_fields.
    Modified Keys: img, img_shape, every key in seg_fields.

    Args:
        crop_size (int | tuple[int, int]): Crop (h, w).
        fg_prob (float): Probability of centring the crop on foreground
            (when the mask has any). 0 gives ``RandomCrop``, 1 always
            centres on foreground. Defaults to 0.33.
        background_index (int): Label that is not foreground.
            Defaults to 0.
        ignore_index (int): Label that is neither background nor
            foreground. Defaults to 255.
    """

    def __init__(self,
                 crop_size: Union[int, Tuple[int, int]],
                 fg_prob: float = 0.33,
                 background_index: int = 0,
                 ignore_index: int = 255) -> None:
        if isinstance(crop_size, list):
            crop_size = tuple(crop_size)
        super().__init__(crop_size=crop_size, ignore_index=ignore_index)
        if not 0.0 <= float(fg_prob) <= 1.0:
            raise ValueError(
                f'RandomForegroundCrop: fg_prob must lie in [0, 1], got '
                f'{fg_prob!r}.')
        self.fg_prob = float(fg_prob)
        self.background_index = background_index

    @staticmethod
    def _start(centre: int, size: int, crop: int) -> int:
        """First row/column of a ``crop``-long window around ``centre``,
        clipped to ``[0, size - crop]`` (0 when the image is smaller)."""
        return int(np.clip(centre - crop // 2, 0, max(size - crop, 0)))

    @cache_randomness
    def crop_bbox(self, results: dict) -> tuple:
        """Draw the crop box ``(y1, y2, x1, x2)``.

        Args:
            results (dict): The pipeline's results (``img``, ``gt_seg_map``).

        Returns:
            tuple: Coordinates of the crop, as ``RandomCrop.crop`` takes them.

        Raises:
            KeyError: ``gt_seg_map`` is missing.
        """
        if 'gt_seg_map' not in results:
            raise KeyError(
                'RandomForegroundCrop needs results["gt_seg_map"] to find '
                f'the foreground (keys: {sorted(results)}). Load the '
                'annotation before it, or use mmseg RandomCrop for images '
                'without masks.')
        h, w = results['img'].shape[:2]
        ch, cw = self.crop_size
        seg = results['gt_seg_map']
        use_fg = np.random.rand() < self.fg_prob
        centre = None
        if use_fg:
            classes = np.unique(seg)
            classes = classes[(classes != self.background_index)
                              & (classes != self.ignore_index)]
            if classes.size:
                cls = classes[np.random.randint(classes.size)]
                ys, xs = np.nonzero(seg == cls)
                k = np.random.randint(ys.size)
                centre = (int(ys[k]), int(xs[k]))
        if centre is None:
            y1 = np.random.randint(0, max(h - ch, 0) + 1)
            x1 = np.random.randint(0, max(w - cw, 0) + 1)
        else:
            y1 = self._start(centre[0], h, ch)
            x1 = self._start(centre[1], w, cw)
        return y1, y1 + ch, x1, x1 + cw

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'fg_prob={self.fg_prob}, '
                f'background_index={self.background_index}, '
                f'ignore_index={self.ignore_index})')
