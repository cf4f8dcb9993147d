"""Ultrasound-safe augmentations for B-mode images.

ImageNet augmentations are wrong for B-mode ultrasound, so this module
offers none of them:

* hue/saturation jitter and random grayscale: a B-mode image is grayscale
  (three equal channels under the ussl_mm convention); these would only
  create colours the scanner never produces;
* vertical flip: depth is an axis with physics on it -- shadows, posterior
  enhancement and attenuation point away from the probe; flipping puts them
  upside down. The lateral flip (a probe turned around, which happens in
  practice) is the library's ``RandomFlip(prob=0.5, direction='horizontal')``
  (mmcv's; in the mmseg scope mmseg's subclass, which also flips every key
  in ``seg_fields``); never give it ``direction='vertical'`` (the default is
  'horizontal'; the configs state it anyway, and tests/test_configs checks
  that none flips vertically);
* strong colour/contrast jitter: echogenicity (how bright a tissue is
  relative to its neighbours) is the diagnostic signal, so intensity
  transforms here are mild and monotone (gain, gamma, a depth ramp like the
  scanner's time-gain compensation, multiplicative speckle).

Every intensity transform applies one gray-level change to all channels, so
equal channels stay equal. Geometric transforms apply to ``img`` and to every
key in ``results['seg_fields']`` (nearest-neighbour, padding with 255 =
ignore). All are registered in the mmcv root ``TRANSFORMS`` so that both the
mmseg and the mmpretrain scopes find them.
"""
import math
from typing import Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.builder import TRANSFORMS
from mmcv.transforms.utils import cache_randomness


def _as_uint8(img: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.clip(out, 0, 255).astype(img.dtype) if img.dtype == np.uint8 \
        else out.astype(img.dtype)


def _pair(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    return (size, size) if isinstance(size, int) else tuple(size)


@TRANSFORMS.register_module()
class USSpeckleNoise(BaseTransform):
    """Multiplicative speckle noise: ``img * (1 + sigma * n)``.

    ``n`` is unit Gaussian noise, smoothed by ``grain`` pixels so the grain
    resembles speckle rather than pixel noise. Unlike additive noise it
    leaves anechoic (black) fluid black, as real speckle does.

    Required Keys: img. Modified Keys: img.

    Args:
        prob (float): Probability of applying. Defaults to 0.5.
        sigma (tuple[float, float]): Range of the noise strength.
            Defaults to (0.05, 0.2).
        grain (float): Gaussian smoothing sigma of the noise field in
            pixels; 0 disables it. Defaults to 0.7.
    """

    def __init__(self, prob: float = 0.5,
                 sigma: Tuple[float, float] = (0.05, 0.2),
                 grain: float = 0.7) -> None:
        self.prob = prob
        self.sigma = sigma
        self.grain = grain

    @cache_randomness
    def _draw(self, shape):
        if np.random.rand() >= self.prob:
            return None
        noise = np.random.randn(*shape).astype(np.float32)
        if self.grain > 0:
            noise = cv2.GaussianBlur(noise, (0, 0), self.grain)
            noise /= noise.std() + 1e-6
        return np.random.uniform(*self.sigma) * noise

    def transform(self, results: dict) -> dict:
        img = results['img']
        noise = self._draw(img.shape[:2])
        if noise is not None:
            out = img.astype(np.float32) * (1 + noise)[..., None]
            results['img'] = _as_uint8(img, out)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'sigma={self.sigma}, grain={self.grain})')


@TRANSFORMS.register_module()
class USGainGamma(BaseTransform):
    """Overall gain and gamma: ``255 * gain * (img / 255) ** gamma``.

    Mimics the operator's gain knob and the scanner's gray map. Both are
    monotone, so the echogenicity order of tissues is kept.

    Required Keys: img. Modified Keys: img.

    Args:
        prob (float): Probability of applying. Defaults to 0.8.
        gain (tuple[float, float]): Range of the gain factor.
            Defaults to (0.8, 1.2).
        gamma (tuple[float, float]): Range of the gamma exponent.
            Defaults to (0.8, 1.25).
    """

    def __init__(self, prob: float = 0.8,
                 gain: Tuple[float, float] = (0.8, 1.2),
                 gamma: Tuple[float, float] = (0.8, 1.25)) -> None:
        self.prob = prob
        self.gain = gain
        self.gamma = gamma

    @cache_randomness
    def _draw(self):
        if np.random.rand() >= self.prob:
            return None
        return np.random.uniform(*self.gain), np.random.uniform(*self.gamma)

    def transform(self, results: dict) -> dict:
        params = self._draw()
        if params is not None:
            gain, gamma = params
            img = results['img']
            lut = 255.0 * gain * (np.arange(256) / 255.0)**gamma
            if img.dtype == np.uint8:
                results['img'] = cv2.LUT(img, np.clip(lut, 0, 255).astype(
                    np.uint8))
            else:
                results['img'] = (255.0 * gain * (np.clip(img, 0, 255) /
                                                  255.0)**gamma).astype(
                                                      img.dtype)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'gain={self.gain}, gamma={self.gamma})')


@TRANSFORMS.register_module()
class USDepthGain(BaseTransform):
    """Depth-dependent gain, like a mis-set time-gain compensation (TGC).

    Multiplies row ``y`` by ``1 + slope * (y / (H - 1) - 0.5)``: a linear
    ramp along depth (rows), never along the lateral axis.

    Required Keys: img. Modified Keys: img.

    Args:
        prob (float): Probability of applying. Defaults to 0.5.
        slope (tuple[float, float]): Range of the ramp slope.
            Defaults to (-0.4, 0.4).
    """

    def __init__(self, prob: float = 0.5,
                 slope: Tuple[float, float] = (-0.4, 0.4)) -> None:
        self.prob = prob
        self.slope = slope

    @cache_randomness
    def _draw(self):
        if np.random.rand() >= self.prob:
            return None
        return np.random.uniform(*self.slope)

    def transform(self, results: dict) -> dict:
        slope = self._draw()
        if slope is not None:
            img = results['img']
            h = img.shape[0]
            ramp = 1 + slope * (np.arange(h, dtype=np.float32) /
                                max(h - 1, 1) - 0.5)
            shape = (h, ) + (1, ) * (img.ndim - 1)
            results['img'] = _as_uint8(
                img, img.astype(np.float32) * ramp.reshape(shape))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob}, ' \
               f'slope={self.slope})'


@TRANSFORMS.register_module()
class USGaussianBlur(BaseTransform):
    """Gaussian blur, as from a wider beam or a lower-frequency probe.

    Required Keys: img. Modified Keys: img.

    Args:
        prob (float): Probability of applying. Defaults to 0.5.
        sigma (tuple[float, float]): Range of the blur sigma in pixels.
            Defaults to (0.1, 1.5).
    """

    def __init__(self, prob: float = 0.5,
                 sigma: Tuple[float, float] = (0.1, 1.5)) -> None:
        self.prob = prob
        self.sigma = sigma

    @cache_randomness
    def _draw(self):
        if np.random.rand() >= self.prob:
            return None
        return np.random.uniform(*self.sigma)

    def transform(self, results: dict) -> dict:
        sigma = self._draw()
        if sigma is not None:
            results['img'] = cv2.GaussianBlur(results['img'], (0, 0), sigma)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob}, ' \
               f'sigma={self.sigma})'


@TRANSFORMS.register_module()
class USRandomResizedCrop(BaseTransform):
    """Random crop of random area and aspect ratio, resized to ``size``.

    mmpretrain's ``RandomResizedCrop`` ignores segmentation maps and mmseg
    has none, hence this one: the same box is cut from ``img`` (bilinear)
    and from every key in ``seg_fields`` (nearest).

    Required Keys: img, seg_fields (optional).
    Modified Keys: img, img_shape, every key in seg_fields.

    Args:
        size (int | tuple[int, int]): Output (h, w).
        scale (tuple[float, float]): Range of the crop area relative to the
            image. Defaults to (0.2, 1.0).
        ratio (tuple[float, float]): Range of the crop aspect ratio w/h.
            Defaults to (3 / 4, 4 / 3).
        max_attempts (int): Tries before falling back to a central crop.
            Defaults to 10.
    """

    def __init__(self, size: Union[int, Sequence[int]],
                 scale: Tuple[float, float] = (0.2, 1.0),
                 ratio: Tuple[float, float] = (3. / 4., 4. / 3.),
                 max_attempts: int = 10) -> None:
        self.size = _pair(size)
        self.scale = scale
        self.ratio = ratio
        self.max_attempts = max_attempts

    @cache_randomness
    def _box(self, h: int, w: int) -> Tuple[int, int, int, int]:
        area = h * w
        log_r = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(self.max_attempts):
            target = area * np.random.uniform(*self.scale)
            ar = math.exp(np.random.uniform(*log_r))
            cw = int(round(math.sqrt(target * ar)))
            ch = int(round(math.sqrt(target / ar)))
            if 0 < cw <= w and 0 < ch <= h:
                y0 = np.random.randint(0, h - ch + 1)
                x0 = np.random.randint(0, w - cw + 1)
                return y0, x0, ch, cw
        side = min(h, w)
        return (h - side) // 2, (w - side) // 2, side, side

    def transform(self, results: dict) -> dict:
        img = results['img']
        y0, x0, ch, cw = self._box(*img.shape[:2])
        oh, ow = self.size
        results['img'] = cv2.resize(img[y0:y0 + ch, x0:x0 + cw], (ow, oh),
                                    interpolation=cv2.INTER_LINEAR)
        for key in results.get('seg_fields', []):
            results[key] = cv2.resize(
                results[key][y0:y0 + ch, x0:x0 + cw], (ow, oh),
                interpolation=cv2.INTER_NEAREST)
        results['img_shape'] = (oh, ow)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, '
                f'scale={self.scale}, ratio={self.ratio})')


@TRANSFORMS.register_module()
class USRandomAffine(BaseTransform):
    """Small rotation and isotropic scaling about the image centre.

    Probe tilt and zoom: angles stay small so that depth stays roughly
    vertical. Outside pixels are filled with 0 (image) and 255 (ignore,
    masks).

    Required Keys: img, seg_fields (optional).
    Modified Keys: img, every key in seg_fields.

    Args:
        prob (float): Probability of applying. Defaults to 0.5.
        max_angle (float): Maximal absolute rotation in degrees.
            Defaults to 10.
        scale (tuple[float, float]): Range of the scale factor.
            Defaults to (0.9, 1.1).
        seg_pad_val (int): Fill of the masks. Defaults to 255.
    """

    def __init__(self, prob: float = 0.5, max_angle: float = 10.,
                 scale: Tuple[float, float] = (0.9, 1.1),
                 seg_pad_val: int = 255) -> None:
        self.prob = prob
        self.max_angle = max_angle
        self.scale = scale
        self.seg_pad_val = seg_pad_val

    @cache_randomness
    def _draw(self):
        if np.random.rand() >= self.prob:
            return None
        return (np.random.uniform(-self.max_angle, self.max_angle),
                np.random.uniform(*self.scale))

    def transform(self, results: dict) -> dict:
        params = self._draw()
        if params is None:
            return results
        angle, scale = params
        img = results['img']
        h, w = img.shape[:2]
        mat = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle,
                                      scale)
        results['img'] = cv2.warpAffine(
            img, mat, (w, h), flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        for key in results.get('seg_fields', []):
            results[key] = cv2.warpAffine(
                results[key], mat, (w, h), flags=cv2.INTER_NEAREST,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=self.seg_pad_val)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'max_angle={self.max_angle}, scale={self.scale})')
