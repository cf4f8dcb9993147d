"""Loading of ultrasound images and masks with the ussl_mm channel
convention and checks that name the offending file.

Channel convention (pretraining and fine-tuning alike): every image becomes
uint8 HxWx3 BGR; a grayscale image is replicated to three equal channels.
The data preprocessors then convert BGR to RGB (``to_rgb=True`` /
``bgr_to_rgb=True``) with one gray mean/std on all channels, so a 3-channel
ImageNet-style backbone sees the same tensor in both stages.
"""
import os.path as osp
from typing import Optional

import cv2
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.builder import TRANSFORMS

_16BIT_MODES = ('refuse', 'minmax', 'shift')


def _read_unchanged(path: str, backend_args: Optional[dict], what: str):
    """Read a file's bytes and decode them with OpenCV, keeping bit depth."""
    try:
        buf = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'{what} file not found: {path}') from None
    except Exception as e:  # permission, backend errors
        raise OSError(f'Could not read {what} file {path}: {e}') from e
    arr = cv2.imdecode(np.frombuffer(buf, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ValueError(
            f'{what} file {path} is corrupt or not an image OpenCV can decode '
            f'({len(buf)} bytes). Re-export it as 8-bit PNG/JPG or remove it '
            'from the data set and its split files.')
    return arr


@TRANSFORMS.register_module()
class LoadUSImage(BaseTransform):
    """Load an ultrasound image as uint8 HxWx3 BGR (gray replicated).

    Registered in the mmcv root ``TRANSFORMS`` registry so that both the
    mmseg (fine-tuning) and the mmpretrain (pretraining) scopes find it; using
    this one loader in both stages is what keeps the channel convention.

    16-bit images (common exports of research scanners) are never converted
    silently: ``convert_16bit='refuse'`` (default) raises with the file name,
    ``'minmax'`` stretches each image's own min..max to 0..255 and
    ``'shift'`` keeps the 8 most significant bits (``>> 8``), which preserves
    absolute echo levels across images of one scanner.

    Required Keys:

    - img_path

    Added Keys:

    - img (np.uint8, HxWx3, BGR)
    - img_shape
    - ori_shape

    Args:
        convert_16bit (str): ``'refuse'``, ``'minmax'`` or ``'shift'``.
            Defaults to 'refuse'.
        to_float32 (bool): Return float32 instead of uint8. Defaults to False.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
    """

    def __init__(self,
                 convert_16bit: str = 'refuse',
                 to_float32: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        if convert_16bit not in _16BIT_MODES:
            raise ValueError(f'convert_16bit must be one of {_16BIT_MODES}, '
                             f'got {convert_16bit!r}.')
        self.convert_16bit = convert_16bit
        self.to_float32 = to_float32
        self.backend_args = backend_args

    def _to_uint8(self, img: np.ndarray, path: str) -> np.ndarray:
        if img.dtype == np.uint8:
            return img
        if img.dtype == np.uint16:
            if self.convert_16bit == 'refuse':
                raise ValueError(
                    f'Image {path} is 16-bit (max value {int(img.max())}). '
                    'ussl_mm does not convert bit depth silently: set '
                    "LoadUSImage(convert_16bit='minmax') to stretch each "
                    "image's range to 0..255, or convert_16bit='shift' to "
                    'keep the high byte, or convert your files to 8-bit.')
            if self.convert_16bit == 'shift':
                return (img >> 8).astype(np.uint8)
            lo, hi = float(img.min()), float(img.max())
            scale = 255.0 / (hi - lo) if hi > lo else 0.0
            return np.round((img.astype(np.float32) - lo) * scale).astype(
                np.uint8)
        raise ValueError(f'Image {path} has dtype {img.dtype}; expected 8-bit '
                         '(or 16-bit with convert_16bit set).')

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        img = self._to_uint8(
            _read_unchanged(path, self.backend_args, 'Image'), path)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        elif img.ndim == 3 and img.shape[2] == 1:
            img = np.repeat(img, 3, axis=2)
        elif img.ndim == 3 and img.shape[2] == 4:
            img = np.ascontiguousarray(img[..., :3])  # drop alpha
        elif not (img.ndim == 3 and img.shape[2] == 3):
            raise ValueError(f'Image {path} has shape {img.shape}; expected '
                             'HxW gray or HxWx3 colour.')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(convert_16bit='
                f'{self.convert_16bit!r}, to_float32={self.to_float32}, '
                f'backend_args={self.backend_args})')


@TRANSFORMS.register_module()
class LoadUSAnnotations(BaseTransform):
    """Load a segmentation mask and check it against its image.

    mmseg's ``LoadAnnotations`` accepts any mask; this one fails at loading
    time, naming the file, when the mask is missing, unreadable, of another
    size than its image, or holds values outside ``0..num_classes-1`` (255
    is allowed as ignore).

    Required Keys:

    - seg_map_path
    - img_path, ori_shape (run :class:`LoadUSImage` first)
    - num_classes (set by the ussl_mm datasets; else the argument)
    - label_map, reduce_zero_label (optional, as in mmseg)

    Added Keys:

    - gt_seg_map (np.uint8, HxW)
    - seg_fields

    Args:
        num_classes (int, optional): Used when the data info has no
            ``num_classes``. Defaults to None (no value check).
        ignore_index (int): Value allowed besides the classes. Defaults
            to 255.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
    """

    def __init__(self,
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255,
                 backend_args: Optional[dict] = None) -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        if not osp.isfile(path) and self.backend_args is None:
            raise FileNotFoundError(
                f'Mask file not found: {path} (for image '
                f"{results.get('img_path')}). Every image needs a mask with "
                'the same stem in ann_dir, or list only annotated images in '
                'the split file.')
        seg = _read_unchanged(path, self.backend_args, 'Mask')
        if seg.ndim == 3:
            if all((seg[..., c] == seg[..., 0]).all()
                   for c in range(1, seg.shape[2])):
                seg = seg[..., 0]
            else:
                raise ValueError(
                    f'Mask {path} has {seg.shape[2]} different channels; '
                    'expected a single-channel label image (0 = background, '
                    '1..K-1 = classes), not a colour rendering.')
        ori = tuple(results.get('ori_shape', seg.shape[:2]))
        if tuple(seg.shape[:2]) != ori[:2]:
            raise ValueError(
                f"Mask {path} is {seg.shape[0]}x{seg.shape[1]} but its image "
                f"{results.get('img_path')} is {ori[0]}x{ori[1]}; masks must "
                'have the size of their image.')
        label_map = results.get('label_map')
        if label_map:
            out = seg.copy()
            for old, new in label_map.items():
                out[seg == old] = new
            seg = out
        if results.get('reduce_zero_label', False):
            seg = seg.astype(np.int64)
            seg[seg == 0] = 256
            seg = seg - 1
            seg[seg == 254] = 255
        num_classes = results.get('num_classes', self.num_classes)
        if num_classes is not None:
            values = np.unique(seg)
            bad = [int(v) for v in values
                   if not (0 <= v < num_classes or v == self.ignore_index)]
            if bad:
                raise ValueError(
                    f'Mask {path} holds values {bad[:10]} outside the '
                    f'{num_classes} configured classes (0..{num_classes - 1}, '
                    f'{self.ignore_index} = ignore). Fix the mask, or the '
                    "dataset's metainfo classes.")
        results['gt_seg_map'] = seg.astype(np.uint8)
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index})')
