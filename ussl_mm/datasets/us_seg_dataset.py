"""Generic 2-D ultrasound segmentation data set (classes from the config)."""
import os.path as osp
from typing import Optional, Sequence, Union

import mmengine
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .image_files import IMG_SUFFIXES, normalise_suffixes
from .validation import (Problems, check_seg_contents, normalise_mask_values,
                         scan_seg_folder)


def check_data_root(data_root: Optional[str], owner: str) -> None:
    """Refuse a ``data_root`` that does not exist (never fall back)."""
    if data_root and not osp.isdir(data_root):
        raise FileNotFoundError(
            f'{owner}: data_root {data_root!r} does not exist (absolute: '
            f'{osp.abspath(data_root)}). Point data_root at your data folder '
            '(tools/train.py --data-root DIR), or generate the synthetic '
            'default with tools/dataset_converters/'
            'generate_synthetic_knee_us.py.')


def find_transform(pipeline, type_name: str):
    """The first transform of a built pipeline whose class is
    ``type_name`` (None when absent)."""
    for t in getattr(pipeline, 'transforms', []):
        if type(t).__name__ == type_name:
            return t
    return None


@DATASETS.register_module()
class USSegDataset(BaseSegDataset):
    """A 2-D ultrasound segmentation set in the mmseg folder layout.

    Serves any 2-D ultrasound set (breast, thyroid, knee, multi-class): the
    classes and palette come from the config's ``metainfo``. Layout::

        data_root/img_dir/{train,val,test}/xxx{img_suffix}
        data_root/ann_dir/{train,val,test}/xxx{seg_map_suffix}
        data_root/splits/train_{pct}pct.txt          (one stem a line)

    Unlike :class:`mmseg.datasets.BaseSegDataset`, it never skips input
    silently. At build time it lists the folders once and raises one
    :class:`~ussl_mm.datasets.validation.DataValidationError` naming every
    bad file: images with a suffix outside ``img_suffix`` (by default every
    common image suffix is accepted, in any case: ``.png``, ``.PNG``,
    ``.jpg``, ``.JPEG``, ``.bmp``, ``.tif``...), DICOM files (convert them
    first), two images with one stem, an image without a mask, a mask
    without an image (orphan), JPEG masks, split lines naming no image. With
    ``validate=True`` (default) it also reads every image header and
    decodes every mask: empty (0-byte) and unreadable files, 16-bit images
    the loader would refuse, colour masks, masks of another size than their
    image, label values outside the classes, and a 0/255 export (every
    foreground pixel is 255, the ignore index: the model would learn
    background only). Palette ('P' mode, VOC-style) PNG masks are read as
    label indices, as in mmseg. Non-image files are logged, not used.
    :class:`ussl_mm.datasets.transforms.LoadUSAnnotations` repeats the mask
    checks at load time (``num_classes`` comes from each data info).

    Masks coded otherwise than ``0..K-1`` are mapped with ``mask_values``
    (raw value -> class index, e.g. ``{0: 0, 255: 1}`` for 0/255 binary
    exports); the mapping goes into each data info's ``label_map``, so
    mmseg's ``LoadAnnotations`` applies it too.

    Args:
        label_fraction (float, optional): Percentage of the labelled
            training images to use. Resolves
            ``data_root/{split_dir}/train_{pct}pct.txt`` (written by
            ``tools/dataset_converters/make_label_fraction_splits.py``).
            None or 100 uses every image. Do not combine with ``ann_file``.
            Defaults to None.
        split_dir (str): Folder of the split files, relative to
            ``data_root``. Defaults to 'splits'.
        ann_file (str): Explicit split file (one image stem a line).
            Defaults to ''.
        img_suffix (str | Sequence[str], optional): Image suffix(es),
            compared case-insensitively. Images with another image suffix
            are refused with the list. Defaults to None (every suffix of
            :data:`~ussl_mm.datasets.image_files.IMG_SUFFIXES`).
        seg_map_suffix (str | Sequence[str]): Mask suffix(es), compared
            case-insensitively. Defaults to '.png'.
        reduce_zero_label (bool): Defaults to False.
        mask_values (dict, optional): Raw mask value -> class index, e.g.
            ``{0: 0, 255: 1}``; values not listed are kept. A string
            ``'{0: 0, 255: 1}'`` is accepted (``--cfg-options``).
            Defaults to None.
        validate (bool): Read every image header and mask at build time
            (one pass; ~0.4 s for 450 256-px pairs). Switch off for huge
            sets; the listing checks always run. Defaults to True.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`. A
            ``data_root`` that does not exist is an error.
    """

    def __init__(self,
                 label_fraction: Optional[float] = None,
                 split_dir: str = 'splits',
                 ann_file: str = '',
                 img_suffix: Union[str, Sequence[str], None] = None,
                 seg_map_suffix: Union[str, Sequence[str]] = '.png',
                 reduce_zero_label: bool = False,
                 mask_values: Optional[dict] = None,
                 validate: bool = True,
                 **kwargs) -> None:
        self.label_fraction = label_fraction
        self.split_dir = split_dir
        self.mask_values = normalise_mask_values(mask_values)
        self.validate = validate
        self._img_suffixes = normalise_suffixes(img_suffix, IMG_SUFFIXES)
        self._seg_suffixes = normalise_suffixes(seg_map_suffix, ('.png', ))
        if img_suffix is None:
            img_suffix = IMG_SUFFIXES
        if label_fraction is not None and float(label_fraction) != 100:
            if ann_file:
                raise ValueError(
                    f'Give either label_fraction ({label_fraction}) or '
                    f'ann_file ({ann_file}), not both.')
            pct = float(label_fraction)
            pct = int(pct) if pct.is_integer() else pct
            ann_file = osp.join(split_dir, f'train_{pct}pct.txt')
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            reduce_zero_label=reduce_zero_label,
            **kwargs)

    def _label_map(self) -> Optional[dict]:
        """``mask_values`` composed with mmseg's class-subset label map."""
        lm = dict(self.label_map or {})
        if not self.mask_values:
            return lm or None
        out = {}
        for raw in set(self.mask_values) | set(lm):
            v = self.mask_values.get(raw, raw)
            out[raw] = lm.get(v, v)
        return {k: v for k, v in sorted(out.items()) if k != v} or None

    def load_data_list(self):
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path', None) or None
        name = type(self).__name__
        if not self.metainfo.get('classes'):
            raise ValueError(
                f'{name} needs the classes: set metainfo='
                "dict(classes=('background', ...), palette=[...]) in the "
                'dataset config.')
        check_data_root(self.data_root, name)
        if not osp.isdir(img_dir):
            raise FileNotFoundError(
                f'Image folder not found: {img_dir}. Expected the layout '
                'data_root/img_dir/{train,val,test}; generate the synthetic '
                'default with tools/dataset_converters/'
                'generate_synthetic_knee_us.py or point data_root at your '
                'data.')
        stems = None
        if self.ann_file and not osp.isdir(self.ann_file):
            if not osp.isfile(self.ann_file):
                hint = (' Write the label-fraction splits with tools/'
                        'dataset_converters/make_label_fraction_splits.py '
                        f'--data-root {self.data_root}.'
                        if self.label_fraction is not None else '')
                raise FileNotFoundError(
                    f'Split file not found: {self.ann_file}.{hint}')
            stems = [ln.strip() for ln in mmengine.list_from_file(
                self.ann_file, backend_args=self.backend_args)]
            stems = [s for s in stems if s]
            if not stems:
                raise ValueError(f'Split file {self.ann_file} is empty; it '
                                 'must list one image stem a line.')
        loader = find_transform(self.pipeline, 'LoadUSImage')
        ann_loader = find_transform(self.pipeline, 'LoadUSAnnotations')
        mask_values = self.mask_values
        if ann_loader is not None and getattr(ann_loader, 'mask_values',
                                              None):
            if mask_values:
                raise ValueError(
                    f'{name}: mask_values is set both on the dataset '
                    f'({mask_values}) and on LoadUSAnnotations '
                    f'({ann_loader.mask_values}); set it in one place.')
            mask_values = ann_loader.mask_values
        problems = Problems()
        pairs, problems = scan_seg_folder(
            img_dir, ann_dir, self._img_suffixes, self._seg_suffixes,
            stems=stems, split_file=self.ann_file, problems=problems)
        if not pairs and not problems:
            raise FileNotFoundError(
                f'No images ({", ".join(self._img_suffixes)}) in {img_dir}. '
                'Check data_root, data_prefix and img_suffix.')
        if self.validate:
            check_seg_contents(
                pairs, len(self.metainfo['classes']), self.ignore_index,
                mask_values,
                allow_16bit=loader is not None
                and loader.convert_16bit != 'refuse',
                problems=problems)
        where = img_dir if ann_dir is None else f'{img_dir} + {ann_dir}'
        problems.raise_if_any(f'{name} check of {where}')
        label_map = self._label_map()
        num_classes = len(self.metainfo['classes'])
        data_list = []
        for _, img, seg in pairs:
            info = dict(img_path=img, label_map=label_map,
                        reduce_zero_label=self.reduce_zero_label,
                        seg_fields=[], num_classes=num_classes)
            if seg is not None:
                info['seg_map_path'] = seg
            if self.mask_values:
                info['mask_values'] = self.mask_values
            data_list.append(info)
        return data_list
