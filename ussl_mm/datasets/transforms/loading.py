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

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.builder import TRANSFORMS

from ..dicom import read_dicom_frame
from ..image_files import (convert_color, decode_image, decode_mask,
                           is_dicom_file, mask_to_single_channel, read_bytes)
from ..sector_mask import (apply_sector_mask, auto_sector_mask,
                           load_sector_mask)
from ..validation import apply_mask_values, normalise_mask_values

_16BIT_MODES = ('refuse', 'minmax', 'shift')
_OVERLAY_MODES = ('keep', 'zero', 'inpaint')


def _read_unchanged(path: str, backend_args: Optional[dict], what: str):
    """Read a file's bytes and decode them with OpenCV, keeping bit depth."""
    return decode_image(read_bytes(path, what, backend_args), path, what)


@TRANSFORMS.register_module()
class LoadUSImage(BaseTransform):
    """Load an ultrasound image as uint8 HxWx3 BGR (gray replicated).

    Registered in the mmcv root ``TRANSFORMS`` registry so that both the
    mmseg (fine-tuning) and the mmpretrain (pretraining) scopes find it; using
    this one loader in both stages is what keeps the channel convention.

    **Colour.** B-mode is gray. A colour frame (a screen capture, an RGB
    export) is converted to gray by default (``rgb_to_gray=True``, ITU-R
    BT.601 luminance) and then replicated, so that coloured overlays cannot
    leak into training as a colour signal the gray test images never carry.
    A coloured pixel keeps its luminance (pure red 76, green 150, yellow
    226, blue 29): colour Doppler boxes, coloured calipers or annotations
    stay visible as gray shapes unless ``color_overlay`` suppresses them:
    ``'zero'`` sets every pixel whose chroma (max - min over B, G, R) is at
    least ``overlay_min_chroma`` to 0, ``'inpaint'`` fills those pixels from
    their gray surroundings (``cv2.inpaint``, Telea). Gray speckle has a
    chroma of a few levels even after JPEG compression. Burned-in *gray* UI
    (text, scales) is outside the sector: remove it with
    ``tools/dataset_converters/dicom_to_layout.py --sector-mask``.
    ``rgb_to_gray=False`` keeps colour (BGR) for colour data sets.

    **16-bit** images (common exports of research scanners) are never
    converted silently: ``convert_16bit='refuse'`` (default) raises with the
    file name, ``'minmax'`` stretches each image's own min..max to 0..255
    and ``'shift'`` keeps the 8 most significant bits (``>> 8``), which
    preserves absolute echo levels across images of one scanner.

    **Burned-in UI** (text, scales, logos outside the imaged sector):
    ``sector_mask='auto'`` blanks every pixel outside the largest connected
    non-dark region of the frame (its convex hull, see
    :func:`ussl_mm.datasets.sector_mask.auto_sector_mask`), a file path uses
    that mask (non-zero = keep) for every frame. For cine loops the
    converter's per-loop mask (``dicom_to_layout.py --sector-mask auto``) is
    steadier than this per-frame one.

    **DICOM** (``.dcm``, ``.dicom`` or a suffix-less file with the DICM
    marker) is read with pydicom: frame ``frame_index`` of the data info
    (0 when absent) only, photometric interpretation applied (MONOCHROME1
    inverted, RGB/YBR/palette colour handled as colour above).

    Required Keys:

    - img_path
    - frame_index (optional, DICOM cine loops)

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
        rgb_to_gray (bool): Convert colour frames to gray before the
            replication to 3 channels. Defaults to True.
        color_overlay (str): What happens to strongly coloured pixels:
            ``'keep'`` (their luminance), ``'zero'`` or ``'inpaint'``.
            Defaults to 'keep'.
        overlay_min_chroma (int): Chroma (0..255) from which a pixel counts
            as coloured overlay. Defaults to 48.
        sector_mask (str, optional): ``'auto'`` or a mask image path; pixels
            outside the sector are set to 0. Defaults to None (keep all).
    """

    def __init__(self,
                 convert_16bit: str = 'refuse',
                 to_float32: bool = False,
                 backend_args: Optional[dict] = None,
                 rgb_to_gray: bool = True,
                 color_overlay: str = 'keep',
                 overlay_min_chroma: int = 48,
                 sector_mask: Optional[str] = None) -> None:
        if convert_16bit not in _16BIT_MODES:
            raise ValueError(f'convert_16bit must be one of {_16BIT_MODES}, '
                             f'got {convert_16bit!r}.')
        if color_overlay not in _OVERLAY_MODES:
            raise ValueError(f'color_overlay must be one of {_OVERLAY_MODES}'
                             f', got {color_overlay!r}.')
        if not 0 < int(overlay_min_chroma) <= 255:
            raise ValueError('overlay_min_chroma must be in 1..255, got '
                             f'{overlay_min_chroma}.')
        self.convert_16bit = convert_16bit
        self.to_float32 = to_float32
        self.backend_args = backend_args
        self.rgb_to_gray = rgb_to_gray
        self.color_overlay = color_overlay
        self.overlay_min_chroma = int(overlay_min_chroma)
        self.sector_mask = sector_mask
        self._user_mask = None
        if sector_mask not in (None, 'auto'):
            if not osp.isfile(sector_mask):
                raise FileNotFoundError(
                    f"sector_mask {sector_mask!r} is neither 'auto' nor an "
                    'existing mask image.')

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

    def read(self, results: dict) -> np.ndarray:
        """The decoded uint8 frame of ``results['img_path']`` (HxW, or
        HxWx3/4 BGR(A)) before colour handling; used by the statistics."""
        path = results['img_path']
        if 'frame_index' in results or (self.backend_args is None
                                        and is_dicom_file(path)):
            return read_dicom_frame(
                path, int(results.get('frame_index', 0)), to_gray=False)
        return self._to_uint8(
            _read_unchanged(path, self.backend_args, 'Image'), path)

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        img = self.read(results)
        if img.ndim == 3 and img.shape[2] == 1:
            img = img[..., 0]
        if img.ndim == 3 and img.shape[2] in (3, 4):
            img = convert_color(img, self.rgb_to_gray, self.color_overlay,
                                self.overlay_min_chroma)
        elif img.ndim != 2:
            raise ValueError(f'Image {path} has shape {img.shape}; expected '
                             'HxW gray or HxWx3 colour.')
        if self.sector_mask is not None:
            img = apply_sector_mask(img, self._sector(img, path))
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def _sector(self, img: np.ndarray, path: str) -> np.ndarray:
        if self.sector_mask != 'auto':
            if self._user_mask is None:
                self._user_mask = load_sector_mask(self.sector_mask,
                                                   img.shape)
            if self._user_mask.shape != img.shape[:2]:
                raise ValueError(
                    f'Image {path} is {img.shape[0]}x{img.shape[1]} but the '
                    f'sector mask {self.sector_mask} is '
                    f'{self._user_mask.shape[0]}x{self._user_mask.shape[1]}.')
            return self._user_mask
        gray = img if img.ndim == 2 else img.max(axis=2)
        try:
            return auto_sector_mask(gray)
        except ValueError as e:
            raise ValueError(f'Image {path}: {e}') from e

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(convert_16bit='
                f'{self.convert_16bit!r}, to_float32={self.to_float32}, '
                f'backend_args={self.backend_args}, rgb_to_gray='
                f'{self.rgb_to_gray}, color_overlay={self.color_overlay!r}, '
                f'overlay_min_chroma={self.overlay_min_chroma}, '
                f'sector_mask={self.sector_mask!r})')


@TRANSFORMS.register_module()
class LoadUSAnnotations(BaseTransform):
    """Load a segmentation mask and check it against its image.

    mmseg's ``LoadAnnotations`` accepts any mask; this one fails at loading
    time, naming the file, when the mask is missing, empty, unreadable, a
    colour rendering, of another size than its image, or holds values
    outside ``0..num_classes-1`` (``ignore_index`` is allowed). Palette
    ('P' mode, VOC-style) PNGs are read as their palette indices, which are
    the labels, as mmseg's loader does. Masks coded otherwise (e.g. 0/255
    binary exports) are mapped with ``mask_values`` first; the ussl_mm
    datasets put their own ``mask_values`` into the data info's
    ``label_map`` instead, so set it in one place. (A whole set exported as
    0/255 is detected when the dataset is built, see
    :class:`ussl_mm.datasets.USSegDataset`.)

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
        mask_values (dict, optional): Raw mask value -> class index, e.g.
            ``{0: 0, 255: 1}``, applied before ``label_map``; values not
            listed are kept. Defaults to None.
    """

    def __init__(self,
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255,
                 backend_args: Optional[dict] = None,
                 mask_values: Optional[dict] = None) -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.backend_args = backend_args
        self.mask_values = normalise_mask_values(mask_values)

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        if not osp.isfile(path) and self.backend_args is None:
            raise FileNotFoundError(
                f'Mask file not found: {path} (for image '
                f"{results.get('img_path')}). Every image needs a mask with "
                'the same stem in ann_dir, or list only annotated images in '
                'the split file.')
        seg = decode_mask(read_bytes(path, 'Mask', self.backend_args), path)
        seg = mask_to_single_channel(seg, path)
        ori = tuple(results.get('ori_shape', seg.shape[:2]))
        if tuple(seg.shape[:2]) != ori[:2]:
            raise ValueError(
                f"Mask {path} is {seg.shape[0]}x{seg.shape[1]} but its image "
                f"{results.get('img_path')} is {ori[0]}x{ori[1]}; masks must "
                'have the size of their image.')
        if self.mask_values:
            if results.get('mask_values'):
                raise ValueError(
                    f'mask_values is set both on the dataset '
                    f"({results['mask_values']}) and on LoadUSAnnotations "
                    f'({self.mask_values}) (mask {path}); set it in one '
                    'place.')
            seg = apply_mask_values(seg, self.mask_values)
        label_map = results.get('label_map')
        if label_map:
            seg = apply_mask_values(seg, label_map)
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
                hint = (' If the masks are 0/255 binary exports, set '
                        'mask_values={0: 0, 255: 1} on the dataset.'
                        if set(int(v) for v in values) <= {0, 255} else '')
                raise ValueError(
                    f'Mask {path} holds values {bad[:10]} outside the '
                    f'{num_classes} configured classes (0..{num_classes - 1}, '
                    f'{self.ignore_index} = ignore). Fix the mask, or the '
                    "dataset's metainfo classes, or map the values with "
                    f'mask_values.{hint}')
        results['gt_seg_map'] = seg.astype(np.uint8)
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index}, '
                f'mask_values={self.mask_values})')
