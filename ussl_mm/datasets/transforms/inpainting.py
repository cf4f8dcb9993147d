# Copyright (c) ussl_mm contributors. All rights reserved.
"""Patch corruptions for inpainting self-supervision.

Context prediction (`Pathak et al. 2016 <https://arxiv.org/abs/1604.07379>`_)
blanks K x K patches; context restoration (`Chen et al. 2019
<https://doi.org/10.1016/j.media.2019.101539>`_) swaps pairs of K x K
patches. Both follow the recipe of `Dominic et al. 2023
<https://doi.org/10.3390/bioengineering10020207>`_: patches are added until at
least ``min_area_ratio`` (1/4) of the image is corrupted, centres are drawn
either uniformly (``'random'``) or by Poisson-disc sampling (``'poisson'``,
non-overlapping patches), and a bank of precomputed layouts is reused with a
random 0/90/180/270 degree rotation, so the per-sample cost is a few slice
assignments.

Design (where normalisation happens). The transforms run at the end of the
data pipeline, on ``results['img']`` as loaded (uint8 or float, H x W or
H x W x C), just before ``PackInputs``. The data preprocessor then normalises
the corrupted image and the clean target (``gt_img``) with the same
per-channel affine map ``(x - mean) / std``. Swapping patches commutes with
that map, and filling with the value ``m`` before it equals filling with
``(m - mean) / std`` after it; so filling with the preprocessor's ``mean``
(``fill=mean`` in our configs) is exactly "zero after normalisation". With
``fill='image_mean'`` the per-image, per-channel mean is used instead, which is
zero after a per-image z-score (the NIfTI MRI datasets).
"""
from abc import abstractmethod
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms import TRANSFORMS
from mmcv.transforms.utils import cache_randomness
from scipy.stats import qmc

_SAMPLINGS = ('random', 'poisson')
# Give up after this many Poisson draws / random proposals per layout.
_MAX_POISSON_DRAWS = 50
_MAX_RANDOM_PROPOSALS = 100000


def _chebyshev_clear(corner: np.ndarray, accepted: List[np.ndarray],
                     k: int) -> bool:
    """Whether a K x K patch at ``corner`` overlaps none in ``accepted``."""
    if not accepted:
        return True
    acc = np.asarray(accepted)
    return bool(np.all(np.abs(acc - corner).max(axis=1) >= k))


def sample_patch_layout(height: int,
                        width: int,
                        patch_size: int,
                        sampling: str = 'poisson',
                        min_area_ratio: float = 0.25,
                        paired: bool = False,
                        rng: Optional[np.random.Generator] = None
                        ) -> np.ndarray:
    """Draw the top-left corners of K x K patches covering enough area.

    Args:
        height (int): Image height in pixels.
        width (int): Image width in pixels.
        patch_size (int): Patch side K.
        sampling (str): ``'random'`` (corners uniform, every patch fully
            inside the image; patches may overlap, except the two patches of
            a swapped pair) or ``'poisson'`` (Poisson-disc centres from
            :class:`scipy.stats.qmc.PoissonDisk`, then kept only if the patch
            overlaps no accepted patch, so no two patches overlap).
            Defaults to 'poisson'.
        min_area_ratio (float): Add patches until the union of patches covers
            at least this fraction of the image. Defaults to 0.25.
        paired (bool): Return an even number of patches; consecutive rows
            ``(2i, 2i+1)`` form a swap pair that does not overlap itself.
            Defaults to False.
        rng (np.random.Generator, optional): Random generator.
            Defaults to None (a fresh unseeded one).

    Returns:
        np.ndarray: int array of shape (N, 2), rows ``(y, x)``.
    """
    k = int(patch_size)
    if sampling not in _SAMPLINGS:
        raise ValueError(f'sampling must be one of {_SAMPLINGS}, got '
                         f'{sampling!r}.')
    if k < 1 or k > height or k > width:
        raise ValueError(
            f'patch_size={k} does not fit an image of {height}x{width}; use '
            f'a patch size <= min(height, width) (e.g. 8, 16, 32 or 64).')
    rng = rng if rng is not None else np.random.default_rng()
    need = min_area_ratio * height * width
    covered = np.zeros((height, width), dtype=bool)
    corners: List[np.ndarray] = []

    def enough() -> bool:
        return covered.sum() >= need and (not paired or len(corners) % 2 == 0)

    def add(c: np.ndarray) -> None:
        corners.append(c)
        covered[c[0]:c[0] + k, c[1]:c[1] + k] = True

    if sampling == 'random':
        proposals = 0
        while not enough():
            proposals += 1
            if proposals > _MAX_RANDOM_PROPOSALS:
                break
            c = np.array([rng.integers(0, height - k + 1),
                          rng.integers(0, width - k + 1)])
            if paired and len(corners) % 2 == 1 and not _chebyshev_clear(
                    c, [corners[-1]], k):
                continue  # the two patches of a pair must not overlap
            add(c)
    else:
        # Corner domain [0, H-K] x [0, W-K]; radius K in Euclidean distance
        # thins the candidates, the Chebyshev test makes them disjoint.
        span = np.array([height - k, width - k], dtype=float)
        for _ in range(_MAX_POISSON_DRAWS):
            if enough():
                break
            if span.max() == 0:
                cand = np.zeros((1, 2))
            else:
                eng = qmc.PoissonDisk(
                    d=2,
                    radius=k,
                    l_bounds=[0, 0],
                    u_bounds=np.maximum(span, 1e-6) + 1e-6,
                    rng=rng)
                # Enough candidates for the target area (fill_space() would
                # cost up to 4x more at K=8 and is not needed).
                n_need = int(np.ceil(need / (k * k)))
                cand = eng.random(4 * n_need + 4)
            cand = np.clip(np.rint(cand), 0, span).astype(int)
            for c in cand[rng.permutation(len(cand))]:
                # Disjoint from every accepted patch <=> untouched canvas.
                if not covered[c[0]:c[0] + k, c[1]:c[1] + k].any():
                    add(c)
                    if enough():
                        break
    if not enough():
        raise RuntimeError(
            f'Could not place {k}x{k} patches ({sampling} sampling) covering '
            f'{min_area_ratio:.0%} of a {height}x{width} image (reached '
            f'{covered.mean():.1%}). Use a smaller patch_size, a larger crop '
            f'or sampling="random".')
    return np.asarray(corners, dtype=np.int64).reshape(-1, 2)


def rotate_layout(corners: np.ndarray, height: int, width: int,
                  patch_size: int, k_rot: int) -> np.ndarray:
    """Rotate patch corners like ``np.rot90(img, k_rot)`` rotates the image.

    Only square images may use odd ``k_rot`` (the shape must not change).
    """
    k_rot %= 4
    if k_rot % 2 == 1 and height != width:
        raise ValueError('90/270 degree layout rotation needs a square image, '
                         f'got {height}x{width}.')
    y, x = corners[:, 0], corners[:, 1]
    k = patch_size
    for _ in range(k_rot):
        # np.rot90 (counter-clockwise): pixel (r, c) -> (W - 1 - c, r).
        y, x = width - k - x, y
        height, width = width, height
    return np.stack([y, x], axis=1)


class BaseInpaintingCorruption(BaseTransform):
    """Shared machinery of the inpainting corruptions.

    Subclasses implement :meth:`_corrupt` and set :attr:`paired`.

    Args:
        patch_size (int): Patch side K, one of 8, 16, 32, 64 in the study
            (any positive size is accepted). Defaults to 32.
        sampling (str): ``'poisson'`` or ``'random'``, see
            :func:`sample_patch_layout`. Defaults to 'poisson'.
        min_area_ratio (float): Minimum corrupted fraction of the image.
            Defaults to 0.25.
        num_precomputed (int): Number of layouts drawn once per image shape
            and reused (rotated by a random multiple of 90 degrees; only 0/180
            for non-square images). 0 draws a fresh layout for every sample
            (slow with Poisson sampling). Defaults to 100.
        target_key (str): Key receiving the clean image. Defaults to
            'gt_img'.
        mask_key (str): Key receiving the H x W uint8 corruption mask (1 =
            corrupted). Defaults to 'corruption_mask'.
        seed (int, optional): Seed of the layout bank. None draws it from
            numpy's global generator (seeded by mmengine). Defaults to None.
    """
    paired = False

    def __init__(self,
                 patch_size: int = 32,
                 sampling: str = 'poisson',
                 min_area_ratio: float = 0.25,
                 num_precomputed: int = 100,
                 target_key: str = 'gt_img',
                 mask_key: str = 'corruption_mask',
                 seed: Optional[int] = None) -> None:
        if sampling not in _SAMPLINGS:
            raise ValueError(f'{type(self).__name__}: sampling must be one of '
                             f'{_SAMPLINGS}, got {sampling!r}.')
        if not 0 < min_area_ratio <= 1:
            raise ValueError(f'{type(self).__name__}: min_area_ratio must be '
                             f'in (0, 1], got {min_area_ratio}.')
        if int(num_precomputed) < 0:
            raise ValueError(f'{type(self).__name__}: num_precomputed must be '
                             f'>= 0, got {num_precomputed}.')
        self.patch_size = int(patch_size)
        self.sampling = sampling
        self.min_area_ratio = float(min_area_ratio)
        self.num_precomputed = int(num_precomputed)
        self.target_key = target_key
        self.mask_key = mask_key
        self.seed = seed
        self._bank: Dict[Tuple[int, int], List[np.ndarray]] = {}

    def _sample(self, h: int, w: int,
                rng: np.random.Generator) -> np.ndarray:
        return sample_patch_layout(h, w, self.patch_size, self.sampling,
                                   self.min_area_ratio, self.paired, rng)

    def _layout_bank(self, h: int, w: int) -> List[np.ndarray]:
        if (h, w) not in self._bank:
            seed = (self.seed if self.seed is not None else
                    np.random.randint(0, 2**31 - 1))
            rng = np.random.default_rng(seed)
            self._bank[(h, w)] = [
                self._sample(h, w, rng) for _ in range(self.num_precomputed)
            ]
        return self._bank[(h, w)]

    @cache_randomness
    def _choose_layout(self, h: int, w: int) -> np.ndarray:
        """Pick (and rotate) a precomputed layout, or draw a fresh one."""
        if self.num_precomputed == 0:
            rng = np.random.default_rng(np.random.randint(0, 2**31 - 1))
            return self._sample(h, w, rng)
        bank = self._layout_bank(h, w)
        corners = bank[np.random.randint(len(bank))]
        k_rot = np.random.randint(4) if h == w else 2 * np.random.randint(2)
        return rotate_layout(corners, h, w, self.patch_size, k_rot)

    @abstractmethod
    def _corrupt(self, img: np.ndarray, corners: np.ndarray) -> None:
        """Corrupt ``img`` in place at the patches ``corners``."""

    def transform(self, results: dict) -> dict:
        """Corrupt ``results['img']`` in place of a copy; keep the clean one.

        Args:
            results (dict): Result dict with ``img`` (H x W or H x W x C).

        Returns:
            dict: With corrupted ``img``, clean ``target_key`` and
            ``mask_key``.
        """
        img = results['img']
        if not isinstance(img, np.ndarray) or img.ndim not in (2, 3):
            raise TypeError(
                f'{type(self).__name__} needs results["img"] as an H x W or '
                f'H x W x C numpy array, got {type(img).__name__} '
                f'{getattr(img, "shape", "")} for '
                f'{results.get("img_path", "<unknown file>")}.')
        h, w = img.shape[:2]
        corners = self._choose_layout(h, w)
        corrupted = img.copy()
        self._corrupt(corrupted, corners)
        mask = np.zeros((h, w), dtype=np.uint8)
        k = self.patch_size
        for y, x in corners:
            mask[y:y + k, x:x + k] = 1
        results[self.target_key] = img
        results['img'] = corrupted
        results[self.mask_key] = mask
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(patch_size={self.patch_size}, '
                f'sampling={self.sampling!r}, '
                f'min_area_ratio={self.min_area_ratio}, '
                f'num_precomputed={self.num_precomputed}, '
                f'target_key={self.target_key!r}, '
                f'mask_key={self.mask_key!r}, seed={self.seed})')


@TRANSFORMS.register_module()
class ContextPredictionCorruption(BaseInpaintingCorruption):
    """Context-prediction corruption: fill K x K patches with a constant.

    The same patches are filled on every channel, so no channel can leak the
    content of another.

    Required Keys:

    - img

    Modified Keys:

    - img

    Added Keys:

    - gt_img (the clean image; name set by ``target_key``)
    - corruption_mask (H x W uint8, 1 = corrupted; ``mask_key``)

    Args:
        fill (float | Sequence[float] | str): Value written into the patches:
            a number, one number per channel (use the data preprocessor's
            ``mean`` so the patches are exactly 0 after normalisation), or
            ``'image_mean'`` for the per-image, per-channel mean (0 after a
            per-image z-score). Defaults to 'image_mean'.
        **kwargs: See :class:`BaseInpaintingCorruption`.
    """

    def __init__(self,
                 fill: Union[float, Sequence[float], str] = 'image_mean',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(fill, str) and fill != 'image_mean':
            raise ValueError('ContextPredictionCorruption: fill must be a '
                             "number, a per-channel sequence or 'image_mean', "
                             f'got {fill!r}.')
        self.fill = fill

    def _corrupt(self, img: np.ndarray, corners: np.ndarray) -> None:
        if isinstance(self.fill, str):
            value = img.reshape(-1, *img.shape[2:]).mean(axis=0)
        else:
            value = np.asarray(self.fill, dtype=np.float64)
            if img.ndim == 3 and value.size not in (1, img.shape[2]):
                raise ValueError(
                    f'ContextPredictionCorruption: fill has {value.size} '
                    f'values but the image has {img.shape[2]} channels.')
            if img.ndim == 2 and value.size != 1:
                raise ValueError('ContextPredictionCorruption: a 2-D image '
                                 f'needs one fill value, got {value.size}.')
        if np.issubdtype(img.dtype, np.integer):
            info = np.iinfo(img.dtype)
            value = np.clip(np.rint(value), info.min, info.max)
        value = np.asarray(value).astype(img.dtype)
        k = self.patch_size
        for y, x in corners:
            img[y:y + k, x:x + k] = value

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f', fill={self.fill!r})'


@TRANSFORMS.register_module()
class ContextRestorationCorruption(BaseInpaintingCorruption):
    """Context-restoration corruption: swap pairs of K x K patches.

    Consecutive patches of a layout form a pair; the two patches of a pair
    never overlap, so every swap is a permutation of pixels and the image's
    intensity multiset is unchanged. All channels are swapped together.

    Required Keys:

    - img

    Modified Keys:

    - img

    Added Keys:

    - gt_img (the clean image; name set by ``target_key``)
    - corruption_mask (H x W uint8, 1 = corrupted; ``mask_key``)

    Args:
        **kwargs: See :class:`BaseInpaintingCorruption`.
    """
    paired = True

    def _corrupt(self, img: np.ndarray, corners: np.ndarray) -> None:
        k = self.patch_size
        for (ya, xa), (yb, xb) in zip(corners[0::2], corners[1::2]):
            a = img[ya:ya + k, xa:xa + k].copy()
            img[ya:ya + k, xa:xa + k] = img[yb:yb + k, xb:xb + k]
            img[yb:yb + k, xb:xb + k] = a
