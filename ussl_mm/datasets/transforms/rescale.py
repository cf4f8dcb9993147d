"""Random rescaling relative to each image's own size."""
from typing import Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.builder import TRANSFORMS
from mmcv.transforms.utils import cache_randomness
from mmseg.datasets.transforms import Resize


@TRANSFORMS.register_module()
class RandomRescale(BaseTransform):
    """Rescale by a random factor of the image's own size.

    mmcv's ``RandomResize`` samples a ratio of one fixed ``scale`` for the
    whole data set (mmseg's ``img_scale``), which is the native scale only
    when every image has the same size. Clinical images come from different
    scanners and depths, so here the factor applies to each image's own
    size: with ``ratio_range=(0.5, 2.0)`` followed by a ``RandomCrop`` the
    network trains around the native pixel spacing, whatever the image size,
    and tests on the unresized image. The resizing itself is mmseg's
    ``Resize`` (image bilinear, every key in ``seg_fields`` nearest).

    Required Keys: img, seg_fields (optional).
    Modified Keys: img, img_shape, every key in seg_fields.
    Added Keys: scale, scale_factor, keep_ratio.

    Args:
        ratio_range (tuple[float, float]): Range of the factor, sampled
            log-uniformly, so that shrinking and enlarging are equally
            likely. Defaults to (0.5, 2.0).
    """

    def __init__(self, ratio_range: Tuple[float, float] = (0.5, 2.0)) -> None:
        lo, hi = ratio_range
        if not 0 < lo <= hi:
            raise ValueError(
                f'RandomRescale: ratio_range must be (low, high) with '
                f'0 < low <= high, got {ratio_range}.')
        self.ratio_range = (float(lo), float(hi))

    @cache_randomness
    def _ratio(self) -> float:
        lo, hi = np.log(self.ratio_range)
        return float(np.exp(np.random.uniform(lo, hi)))

    def transform(self, results: dict) -> dict:
        ratio = self._ratio()
        return Resize(scale_factor=ratio, keep_ratio=True)(results)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(ratio_range={self.ratio_range})'
