# Copyright (c) ussl_mm contributors. All rights reserved.
"""2-D slices of NIfTI volumes, for MRI/CT pretraining and fine-tuning."""
import glob
from abc import ABCMeta, abstractmethod
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log


class NiftiSliceDataset(BaseDataset, metaclass=ABCMeta):
    """Volumes (and masks) in NIfTI files, served as 2-D slices.

    Layout (the mmseg one, with volumes instead of images)::

        data_root/
          img_dir/{train,val,test}/<volume_id>.nii.gz
          ann_dir/{train,val,test}/<volume_id>.nii.gz   (same name + suffix)
          splits/train_{pct}pct.txt                   (one volume id a line)

    Every volume is read with ``nibabel``, checked (3-D, mask with the same
    shape and affine), normalised as a whole by :meth:`normalise_volume`
    (subclasses: per-volume z-score for MRI, HU windows for CT), kept in
    memory, and cut along ``slice_axis``. A sample is one slice: ``img`` is a
    float32 H x W x 3 array that is *already normalised* (the data
    preprocessors of the NIfTI configs therefore use mean 0 / std 1), and
    ``gt_seg_map`` the uint8 mask slice. There is no loading transform: the
    pipeline starts with geometric transforms. With ``test_mode=True`` the
    mask is kept at the slice's original size (metrics at native
    resolution). Each sample also carries ``volume_id``, ``slice_idx`` and
    ``slice_axis``; list the last two in the ``meta_keys`` of
    ``PackSegInputs`` so that ``ClinicalMetric`` can re-read the raw slice
    (the NIfTI test pipelines of ``configs/_base_/datasets`` do).

    Mask values are class indices of ``metainfo['classes']`` (255 =
    ignore); any other value is refused with the file named. The default
    classes are ``('background', 'foreground')``; a multi-class atlas gives
    its own, e.g. ``metainfo=dict(classes=('background', 'caudate', ...),
    palette=[...])``.

    Label fractions select *volumes* (patients), never slices: with
    ``label_fraction=p`` only the volume ids listed in
    ``splits/train_{p}pct.txt`` are used. The files are written by
    ``tools/dataset_converters/generate_synthetic_nifti.py`` (or for your own
    data with :func:`ussl_mm.datasets.splits.nested_fraction_splits` on the
    volume ids), so subsets are nested and seeded like the ultrasound ones.

    Args:
        data_root (str): Dataset root.
        data_prefix (dict): ``img_path`` and optional ``seg_map_path``
            folders relative to ``data_root``. Without ``seg_map_path`` (or
            with an empty one) the set is unlabelled (pretraining).
            Defaults to ``dict(img_path='img_dir/train',
            seg_map_path='ann_dir/train')``.
        img_suffix (str): Volume file suffix. Defaults to '.nii.gz'.
        seg_map_suffix (str): Mask file suffix; mask ``<id><seg_map_suffix>``
            pairs with volume ``<id><img_suffix>``. Defaults to '.nii.gz'.
        slice_axis (int): Axis (0, 1, 2) of the volume array to slice along.
            Defaults to 2.
        label_fraction (float, optional): Percent of training volumes; None
            or 100 uses all. Defaults to None.
        split_dir (str): Folder of the split files, relative to
            ``data_root``. Defaults to 'splits'.
        skip_empty_slices (bool): Drop slices whose mask has no foreground
            (fine-tuning only; refused with ``test_mode=True`` because test
            scores must cover every slice). Defaults to False.
        min_fg_slice_ratio (float, optional): Foreground oversampling at
            the slice level (fine-tuning only; refused with
            ``test_mode=True``): every slice is listed, and each slice with
            foreground is listed ``r`` times, the smallest whole ``r`` that
            makes the foreground slices at least this share of the list
            (e.g. 0.5 with 78 foreground and 284 empty slices: ``r = 4``,
            312 of 596 entries). Unlike ``skip_empty_slices`` the model
            still sees the empty slices (the negatives that keep it from
            predicting structures where there are none); with
            ``RandomForegroundCrop`` this approximates nnU-Net's 2-D
            sampling, where a third of the samples is centred on
            foreground and the rest is uniform over all slices. None lists
            each slice once. Defaults to None.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO = dict(
        classes=('background', 'foreground'), palette=[[0, 0, 0],
                                                       [255, 0, 0]])

    def __init__(self,
                 data_root: str = '',
                 data_prefix: dict = dict(
                     img_path='img_dir/train', seg_map_path='ann_dir/train'),
                 img_suffix: str = '.nii.gz',
                 seg_map_suffix: str = '.nii.gz',
                 slice_axis: int = 2,
                 label_fraction: Optional[float] = None,
                 split_dir: str = 'splits',
                 skip_empty_slices: bool = False,
                 min_fg_slice_ratio: Optional[float] = None,
                 test_mode: bool = False,
                 **kwargs) -> None:
        if slice_axis not in (0, 1, 2):
            raise ValueError(f'{type(self).__name__}: slice_axis must be 0, 1'
                             f' or 2, got {slice_axis}.')
        if skip_empty_slices and test_mode:
            raise ValueError(
                f'{type(self).__name__}: skip_empty_slices=True is refused '
                'with test_mode=True: test metrics must cover every slice, '
                'empty ones included. Set it only on the training dataset.')
        if min_fg_slice_ratio is not None:
            if not 0 < float(min_fg_slice_ratio) < 1:
                raise ValueError(
                    f'{type(self).__name__}: min_fg_slice_ratio must lie in '
                    f'(0, 1) or be None, got {min_fg_slice_ratio!r}.')
            if test_mode:
                raise ValueError(
                    f'{type(self).__name__}: min_fg_slice_ratio is refused '
                    'with test_mode=True: test metrics must weigh every '
                    'slice once. Set it only on the training dataset.')
        self.min_fg_slice_ratio = min_fg_slice_ratio
        self.img_suffix = img_suffix
        self.seg_map_suffix = seg_map_suffix
        self.slice_axis = slice_axis
        self.label_fraction = label_fraction
        self.split_dir = split_dir
        self.skip_empty_slices = skip_empty_slices
        self._images: Dict[str, np.ndarray] = {}
        self._masks: Dict[str, np.ndarray] = {}
        super().__init__(
            data_root=data_root,
            data_prefix=dict(data_prefix),
            test_mode=test_mode,
            serialize_data=False,
            **kwargs)

    # ----------------------------------------------------------------- io
    @staticmethod
    def read_volume(path: str):
        """Read a 3-D NIfTI file; errors name the file.

        Returns:
            tuple[np.ndarray, np.ndarray]: float32 data and 4x4 affine.
        """
        import nibabel as nib
        if not osp.isfile(path):
            raise FileNotFoundError(f'NIfTI file not found: {path}')
        try:
            img = nib.load(path)
            data = np.asarray(img.dataobj, dtype=np.float32)
        except Exception as e:  # nibabel raises several types
            raise ValueError(
                f'Cannot read NIfTI file {path}: {type(e).__name__}: {e}. '
                'Check that it is a valid .nii/.nii.gz file.') from e
        if data.ndim != 3:
            raise ValueError(
                f'NIfTI file {path} has shape {data.shape} ({data.ndim}-D); '
                'a 3-D volume (X, Y, Z) is expected. Split 4-D series into '
                'one file per volume.')
        return data, np.asarray(img.affine, dtype=np.float64)

    @abstractmethod
    def normalise_volume(self, vol: np.ndarray) -> np.ndarray:
        """Map a raw volume (X, Y, Z) to float32 (X, Y, Z, 3)."""

    def _check_labels(self, mask: np.ndarray, seg_path: str) -> None:
        """Refuse mask values that name no class of ``metainfo``."""
        classes = self.metainfo.get('classes') or ()
        values = np.unique(mask)
        bad = values[(values >= len(classes)) & (values != 255)]
        if bad.size:
            raise ValueError(
                f'Mask {seg_path} holds the values {bad.tolist()}, but the '
                f'dataset has {len(classes)} classes {tuple(classes)} (mask '
                f'values 0..{len(classes) - 1}, 255 = ignore). Give the '
                'dataset its classes, e.g. metainfo=dict(classes=(\'background'
                '\', ...), palette=[...]) in the config, and the decode head '
                'the same num_classes.')

    # ------------------------------------------------------------- listing
    def _selected_ids(self, ids: List[str]) -> List[str]:
        frac = self.label_fraction
        if frac is None or float(frac) >= 100:
            return ids
        pct = int(frac) if float(frac).is_integer() else float(frac)
        path = osp.join(self.data_root, self.split_dir, f'train_{pct}pct.txt')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{type(self).__name__}: label_fraction={frac} needs the '
                f'split file {path}, which does not exist. Write it with '
                'ussl_mm.datasets.splits.nested_fraction_splits / '
                'write_fraction_splits on the volume ids (the synthetic '
                'generator does), or set label_fraction=None.')
        with open(path) as f:
            wanted = [ln.strip() for ln in f if ln.strip()]
        missing = sorted(set(wanted) - set(ids))
        if missing:
            raise ValueError(
                f'{type(self).__name__}: split file {path} lists volumes '
                f'absent from {self.data_prefix["img_path"]}: {missing[:5]}.')
        return [i for i in ids if i in set(wanted)]

    def load_data_list(self) -> List[dict]:
        """Read, check and normalise every selected volume; list slices."""
        from .us_seg_dataset import check_data_root
        check_data_root(self.data_root, type(self).__name__)
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path') or None
        files = sorted(glob.glob(osp.join(img_dir, '*' + self.img_suffix)))
        if not files:
            raise FileNotFoundError(
                f'{type(self).__name__}: no *{self.img_suffix} volume in '
                f'{img_dir}.')
        ids = [osp.basename(f)[:-len(self.img_suffix)] for f in files]
        ids = self._selected_ids(ids)
        for flag in ('skip_empty_slices', 'min_fg_slice_ratio'):
            if getattr(self, flag) and ann_dir is None:
                raise ValueError(f'{type(self).__name__}: {flag} needs '
                                 'masks (data_prefix.seg_map_path).')
        data_list = []
        n_skipped = 0
        for vid in ids:
            img_path = osp.join(img_dir, vid + self.img_suffix)
            vol, affine = self.read_volume(img_path)
            mask = None
            seg_path = None
            if ann_dir is not None:
                seg_path = osp.join(ann_dir, vid + self.seg_map_suffix)
                mask, m_aff = self.read_volume(seg_path)
                if mask.shape != vol.shape:
                    raise ValueError(
                        f'Mask {seg_path} has shape {mask.shape} but its '
                        f'volume {img_path} has shape {vol.shape}; they must '
                        'match voxel for voxel (resample the mask).')
                if not np.allclose(m_aff, affine, atol=1e-3):
                    raise ValueError(
                        f'Mask {seg_path} and volume {img_path} have '
                        f'different affines:\n{m_aff}\nvs\n{affine}\n'
                        'They are not in the same space; resample the mask.')
                mask = np.moveaxis(np.rint(mask).astype(np.uint8),
                                   self.slice_axis, 0)
                self._check_labels(mask, seg_path)
                self._masks[vid] = mask
            self._images[vid] = np.moveaxis(
                self.normalise_volume(vol), self.slice_axis, 0)
            for s in range(self._images[vid].shape[0]):
                if self.skip_empty_slices and not mask[s].any():
                    n_skipped += 1
                    continue
                data_list.append(
                    dict(
                        has_fg=bool(mask is not None and mask[s].any()),
                        img_path=img_path,
                        seg_map_path=seg_path,
                        volume_id=vid,
                        slice_idx=s,
                        slice_axis=self.slice_axis,
                        reduce_zero_label=False,
                        seg_fields=[]))
        n_slices = len(data_list)
        repeat = self._fg_repeat(data_list)
        if repeat > 1:
            data_list = [
                info for info in data_list
                for _ in range(repeat if info['has_fg'] else 1)
            ]
        print_log(
            f'{type(self).__name__}: {len(ids)} volumes, {n_slices} '
            f'slices along axis {self.slice_axis}'
            + (f', {n_skipped} empty slices skipped'
               if self.skip_empty_slices else '')
            + (f'; each of the {sum(i["has_fg"] for i in data_list) // repeat}'
               f' slices with foreground listed {repeat} times '
               f'(min_fg_slice_ratio={self.min_fg_slice_ratio}): '
               f'{len(data_list)} entries' if repeat > 1 else ''),
            logger='current')
        return data_list

    def _fg_repeat(self, data_list: List[dict]) -> int:
        """Smallest whole repeat of the foreground slices that makes them
        ``min_fg_slice_ratio`` of the list (1 when already so, or when no
        slice has foreground)."""
        ratio = self.min_fg_slice_ratio
        n_fg = sum(info['has_fg'] for info in data_list)
        if ratio is None or n_fg == 0:
            return 1
        n_empty = len(data_list) - n_fg
        # r * n_fg / (r * n_fg + n_empty) >= ratio
        return max(1, int(np.ceil(ratio * n_empty / ((1 - ratio) * n_fg)
                                  - 1e-9)))

    def get_data_info(self, idx: int) -> dict:
        """Slice ``idx`` with its ``img`` (and ``gt_seg_map``) arrays."""
        info = super().get_data_info(idx)
        vid, s = info['volume_id'], info['slice_idx']
        img = self._images[vid][s]
        info['img'] = img
        info['img_shape'] = img.shape[:2]
        info['ori_shape'] = img.shape[:2]
        if vid in self._masks:
            info['gt_seg_map'] = self._masks[vid][s]
            # In test mode the mask stays at the slice's original size (it
            # is not registered in seg_fields, so mmseg's Resize skips it),
            # and metrics compare predictions resized back to ori_shape
            # against it -- as mmseg test pipelines do by loading the
            # annotation after Resize.
            info['seg_fields'] = [] if self.test_mode else ['gt_seg_map']
        return info

    @property
    def volume_ids(self) -> Sequence[str]:
        """Ids of the volumes in use (after the label-fraction selection)."""
        return list(self._images)
