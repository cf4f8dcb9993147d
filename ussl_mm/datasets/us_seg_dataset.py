"""Generic 2-D ultrasound segmentation data set (classes from the config)."""
import os.path as osp
from typing import Optional

import mmengine
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS


@DATASETS.register_module()
class USSegDataset(BaseSegDataset):
    """A 2-D ultrasound segmentation set in the mmseg folder layout.

    Serves any 2-D ultrasound set (breast, thyroid, knee, multi-class): the
    classes and palette come from the config's ``metainfo``. Layout::

        data_root/img_dir/{train,val,test}/xxx{img_suffix}
        data_root/ann_dir/{train,val,test}/xxx{seg_map_suffix}
        data_root/splits/train_{pct}pct.txt          (one stem a line)

    Unlike :class:`mmseg.datasets.BaseSegDataset`, it never skips input
    silently: an empty image folder, an empty split file, a split naming an
    image that does not exist, or an image without a mask raise an error that
    names the file. Mask size and values are checked when a sample is loaded
    by :class:`ussl_mm.datasets.transforms.LoadUSAnnotations`, which reads
    ``num_classes`` from each data info.

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
        img_suffix (str): Defaults to '.png'.
        seg_map_suffix (str): Defaults to '.png'.
        reduce_zero_label (bool): Defaults to False.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`.
    """

    def __init__(self,
                 label_fraction: Optional[float] = None,
                 split_dir: str = 'splits',
                 ann_file: str = '',
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = False,
                 **kwargs) -> None:
        self.label_fraction = label_fraction
        self.split_dir = split_dir
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

    def load_data_list(self):
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path', None)
        if not self.metainfo.get('classes'):
            raise ValueError(
                f'{type(self).__name__} needs the classes: set metainfo='
                "dict(classes=('background', ...), palette=[...]) in the "
                'dataset config.')
        if not osp.isdir(img_dir):
            raise FileNotFoundError(
                f'Image folder not found: {img_dir}. Expected the layout '
                'data_root/img_dir/{train,val,test}; generate the synthetic '
                'default with tools/dataset_converters/'
                'generate_synthetic_knee_us.py or point data_root at your '
                'data.')
        if self.ann_file and not osp.isdir(self.ann_file):
            if not osp.isfile(self.ann_file):
                hint = (' Write the label-fraction splits with tools/'
                        'dataset_converters/make_label_fraction_splits.py '
                        f'--data-root {self.data_root}.'
                        if self.label_fraction is not None else '')
                raise FileNotFoundError(
                    f'Split file not found: {self.ann_file}.{hint}')
            lines = [ln.strip() for ln in mmengine.list_from_file(
                self.ann_file, backend_args=self.backend_args)]
            if not any(lines):
                raise ValueError(f'Split file {self.ann_file} is empty; it '
                                 'must list one image stem a line.')
        data_list = super().load_data_list()
        if not data_list:
            raise FileNotFoundError(
                f'No *{self.img_suffix} images in {img_dir}. Check data_root, '
                'data_prefix and img_suffix.')
        missing_img = [d['img_path'] for d in data_list
                       if not osp.isfile(d['img_path'])]
        if missing_img:
            raise FileNotFoundError(
                f'Split file {self.ann_file} names {len(missing_img)} '
                f'image(s) that do not exist, e.g. {missing_img[:3]}. '
                'Regenerate the splits for this data root.')
        if ann_dir is not None:
            missing = [d['seg_map_path'] for d in data_list
                       if not osp.isfile(d['seg_map_path'])]
            if missing:
                raise FileNotFoundError(
                    f'{len(missing)} image(s) in {img_dir} have no mask, '
                    f'e.g. {missing[:3]} is missing. Every image needs a mask '
                    'with the same stem in ann_dir.')
        num_classes = len(self.metainfo['classes'])
        for d in data_list:
            d['num_classes'] = num_classes
        return data_list
