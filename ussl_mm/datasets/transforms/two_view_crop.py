"""Two overlapping crops of one image that remember where they came from."""
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform, Compose
from mmcv.transforms.builder import TRANSFORMS
from mmcv.transforms.utils import cache_randomness

from .ultrasound import USRandomResizedCrop, _pair


def _overlap_area(a: np.ndarray, b: np.ndarray) -> float:
    """Area of the intersection of two (x0, y0, x1, y1) boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return float(max(w, 0) * max(h, 0))


def _area(box: np.ndarray) -> float:
    return float((box[2] - box[0]) * (box[3] - box[1]))


@TRANSFORMS.register_module()
class TwoViewCrop(BaseTransform):
    """Two overlapping random resized crops of one image, with their geometry.

    The views of dense contrastive pretraining with *known* correspondence
    (`PixPro <https://arxiv.org/abs/2011.10043>`_, `VICRegL
    <https://arxiv.org/abs/2210.01571>`_): the model must find, for a point
    of the image, where it lies in each view. mmpretrain's ``MultiView`` +
    ``RandomResizedCrop`` serve image-level methods but keep only each
    view's pixels (not its box or flip) and draw the two crops independently,
    so they may not overlap at all; hence this transform. It draws both boxes
    together (the second one again until the two overlap enough), flips
    each view laterally on its own, records boxes and flips, then runs the
    ``view_pipeline`` (intensity changes only) on each view separately.

    Boxes are drawn as :class:`USRandomResizedCrop` draws its box (same
    ``scale``/``ratio`` meaning); both views are resized to ``size``, so the
    two crops differ in position and scale and zero-padding position cues
    cannot solve the correspondence. Flips are lateral only (a vertical flip
    puts depth upside down, see ``ultrasound.py``).

    Coordinates: a box is ``(x0, y0, x1, y1)`` in pixel-edge coordinates of
    the input image (pixel ``(i, j)`` covers ``[j, j + 1] x [i, i + 1]``).
    View ``k`` is box ``k`` resized to ``size`` (OpenCV, half-pixel centres)
    and mirrored left-right when ``view_flips[k]``; so an image point
    ``(x, y)`` lies in view ``k`` at ``gx = 2 (x - x0) / (x1 - x0) - 1``
    (negated when flipped), ``gy = 2 (y - y0) / (y1 - y0) - 1``, the
    convention of ``torch.nn.functional.grid_sample(align_corners=False)``
    (:func:`ussl_mm.models.selfsup.dense_contrastive_unet.view_grid`). Pack
    with ``PackInputs(algorithm_keys=['view_boxes', 'view_flips'])``.

    Required Keys:

    - img
    - seg_fields (optional)

    Modified Keys:

    - img (a list of the two views, each ``size``)
    - img_shape
    - every key in seg_fields (a list of two maps, nearest-neighbour)

    Added Keys:

    - view_boxes (np.ndarray): float32 (2, 4), ``(x0, y0, x1, y1)`` of each
      view's crop in the input image.
    - view_flips (np.ndarray): bool (2, ), whether each view is mirrored
      left-right.

    Args:
        size (int | tuple[int, int]): Output (h, w) of both views.
        scale (tuple[float, float]): Range of each crop's area relative to
            the image. Defaults to (0.15, 0.7).
        ratio (tuple[float, float]): Range of the crop aspect ratio w/h.
            Defaults to (3 / 4, 4 / 3).
        flip_prob (float): Probability of a lateral flip, drawn for each view
            separately. Defaults to 0.5.
        min_overlap (float): Minimal area of the boxes' intersection,
            relative to the smaller box. Defaults to 0.3.
        max_attempts (int): Draws of the second box before it falls back to
            the central half (by area) of the first box, which overlaps it
            fully and differs in scale. Defaults to 50.
        view_pipeline (list[dict], optional): Transforms applied to each view
            after cropping, independently (e.g. ``USGainGamma``,
            ``USSpeckleNoise``). They must not move pixels: a geometric
            transform here breaks the recorded correspondence (a change of
            size is refused). Defaults to None.
    """

    def __init__(self,
                 size: Union[int, Sequence[int]],
                 scale: Tuple[float, float] = (0.15, 0.7),
                 ratio: Tuple[float, float] = (3. / 4., 4. / 3.),
                 flip_prob: float = 0.5,
                 min_overlap: float = 0.3,
                 max_attempts: int = 50,
                 view_pipeline: Optional[List[dict]] = None) -> None:
        if not 0.0 < min_overlap <= 1.0:
            raise ValueError(
                f'TwoViewCrop: min_overlap must be in (0, 1] (the share of '
                f'the smaller crop that both views show), got {min_overlap}.')
        self.size = _pair(size)
        self.scale = scale
        self.ratio = ratio
        self.flip_prob = flip_prob
        self.min_overlap = min_overlap
        self.max_attempts = max_attempts
        # The box sampler of USRandomResizedCrop, so that `scale`/`ratio`
        # mean the same in both transforms.
        self._boxer = USRandomResizedCrop(size, scale=scale, ratio=ratio)
        self.view_pipeline = Compose(view_pipeline or [])

    def _random_box(self, h: int, w: int) -> np.ndarray:
        y0, x0, ch, cw = self._boxer._box(h, w)
        return np.array([x0, y0, x0 + cw, y0 + ch])

    @cache_randomness
    def _draw(self, h: int, w: int) -> Tuple[np.ndarray, np.ndarray]:
        """Two boxes (int (2, 4), x0 y0 x1 y1) and two flips (bool (2, ))."""
        first = self._random_box(h, w)
        for _ in range(self.max_attempts):
            second = self._random_box(h, w)
            need = self.min_overlap * min(_area(first), _area(second))
            if (_overlap_area(first, second) >= need
                    and not np.array_equal(first, second)):
                break
        else:
            # The central half of the first box (by area, at least 1 px).
            x0, y0, x1, y1 = first
            cw = max(int(round((x1 - x0) / np.sqrt(2))), 1)
            ch = max(int(round((y1 - y0) / np.sqrt(2))), 1)
            sx, sy = x0 + (x1 - x0 - cw) // 2, y0 + (y1 - y0 - ch) // 2
            second = np.array([sx, sy, sx + cw, sy + ch])
        flips = np.random.rand(2) < self.flip_prob
        return np.stack([first, second]), flips

    def _crop(self, img: np.ndarray, box: np.ndarray, flip: bool,
              interpolation: int) -> np.ndarray:
        x0, y0, x1, y1 = (int(v) for v in box)
        oh, ow = self.size
        out = cv2.resize(img[y0:y1, x0:x1], (ow, oh),
                         interpolation=interpolation)
        if img.ndim == 3 and out.ndim == 2:  # cv2 drops a single channel
            out = out[..., None]
        return np.ascontiguousarray(out[:, ::-1]) if flip else out

    def transform(self, results: dict) -> dict:
        img = results['img']
        if not isinstance(img, np.ndarray):
            raise TypeError(
                'TwoViewCrop: results["img"] must be one image (an array), '
                f'got {type(img).__name__}. Put TwoViewCrop right after the '
                'loader, not after MultiView or another view transform.')
        boxes, flips = self._draw(*img.shape[:2])
        views = []
        for k in range(2):
            view = dict(results)
            view['img'] = self._crop(img, boxes[k], flips[k],
                                     cv2.INTER_LINEAR)
            view['img_shape'] = self.size
            view = self.view_pipeline(view)
            if view is None or view['img'].shape[:2] != self.size:
                got = None if view is None else view['img'].shape[:2]
                raise ValueError(
                    f'TwoViewCrop: the view_pipeline {self.view_pipeline} '
                    f'changed view {k} from {self.size} to {got}; it must '
                    'hold intensity transforms only (geometry breaks the '
                    'recorded correspondence).')
            views.append(view['img'])
        for key in results.get('seg_fields', []):
            results[key] = [
                self._crop(results[key], boxes[k], flips[k],
                           cv2.INTER_NEAREST) for k in range(2)
            ]
        results['img'] = views
        results['img_shape'] = self.size
        results['view_boxes'] = boxes.astype(np.float32)
        results['view_flips'] = flips.astype(bool)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, '
                f'scale={self.scale}, ratio={self.ratio}, '
                f'flip_prob={self.flip_prob}, '
                f'min_overlap={self.min_overlap}, '
                f'max_attempts={self.max_attempts}, '
                f'view_pipeline={self.view_pipeline})')
