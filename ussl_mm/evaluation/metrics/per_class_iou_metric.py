"""IoU/Dice metric that also returns per-class, per-image and per-volume
values, and flags classes that were never predicted."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.logging import MessageHub, MMLogger, print_log
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS

from ussl_mm.utils.atomic import atomic_write_json

NIFTI_SUFFIXES = ('.nii', '.nii.gz')


def is_nifti(path: str) -> bool:
    """Whether ``path`` names a NIfTI file (``.nii`` or ``.nii.gz``)."""
    return str(path).lower().endswith(NIFTI_SUFFIXES)


def nanmean(values) -> float:
    """Mean ignoring NaN; NaN (without numpy's warning) when all are NaN."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    return float(arr.mean()) if arr.size else float('nan')


def run_description() -> str:
    """Name of the current run (experiment name; log file when known)."""
    name = MessageHub.get_current_instance().instance_name
    log_file = getattr(MMLogger.get_current_instance(), 'log_file', None)
    if log_file:
        return f'run {name!r} (log {log_file})'
    return f'run {name!r}'


def _as_float64(*tensors) -> List[torch.Tensor]:
    return [torch.as_tensor(t, dtype=torch.float64) for t in tensors]


@METRICS.register_module()
class PerClassIoUMetric(IoUMetric):
    """mmseg's :class:`~mmseg.evaluation.IoUMetric` plus per-class,
    per-image and per-volume results and a "learned nothing" guard.

    mmseg's ``IoUMetric`` prints the per-class table but returns only the
    class means (``mIoU``, ``mDice``, ...), so per-class IoU never reaches the
    logs' scalars, ``runner.test()``'s return value or a results table. A
    label-efficiency study needs both the per-class values and, for paired
    statistics across initialisations, the value of every test image. All
    values come from mmseg's own ``IoUMetric.intersect_and_union`` (per
    sample) and ``IoUMetric.total_area_to_metrics`` (over the split, an
    image or a volume).

    Returned keys, besides ``IoUMetric``'s (which are unchanged):

    - ``IoU.<class>``, ``Dice.<class>``: over the whole split (areas summed
      over every sample), percent, rounded to 2 decimals like mmseg's.
    - ``never_predicted.<class>``: 1 when the class occurs in the ground
      truth of the evaluated set but no pixel was predicted as it, else 0;
      ``never_predicted``: the number of such classes. Each one is also
      logged as a WARNING naming the class and the run: a model that never
      predicts a present class learned nothing about it, whatever its mIoU
      (background alone gives ~50 mIoU on a two-class set).
    - Per-volume (3-D) Dice, when the samples are slices of NIfTI volumes
      (``img_path`` ending in ``.nii``/``.nii.gz``, as with
      ``NiftiSliceDataset``): the slices of each volume are pooled (areas
      summed over its slices) and Dice is computed per volume and class;
      ``Dice3D.<class>`` is its mean over volumes (volumes where the class
      is absent from both prediction and label are left out of that mean),
      ``mDice3D`` the mean of ``Dice3D`` over classes (as ``mDice`` is over
      ``Dice``). The slice-pooled ``IoU``/``Dice`` values stay as they are.
    - ``IoU.<group>``, ``Dice.<group>`` (and ``Dice3D.<group>`` for volumes)
      for each entry of ``class_groups``: its classes merged into one region
      (a pixel is in the group when its label is any of them), e.g. "any of
      the three nuclei". Whether a model finds the structures at all and
      whether it tells them apart are different questions: a group Dice far
      above the mean of its classes' Dice means the classes are confused
      with each other.

    Args:
        per_image_file (str, optional): JSON file to write one record per
            sample (``img_path``, ``slice_idx`` when the sample carries it,
            plus per-class IoU and Dice in percent; ``null`` where a class
            is absent from both prediction and label). Relative paths are
            resolved against the current directory. Defaults to None.
        per_volume (bool, optional): Compute per-volume Dice. None: only
            when the samples' ``img_path`` are NIfTI files; True: group the
            samples by ``img_path`` whatever it is; False: never.
            Defaults to None.
        per_volume_file (str, optional): JSON file for one record per
            volume (``img_path``, ``num_slices``, ``Dice.<class>``). When
            None and ``per_image_file`` is set, it is
            ``<per_image_file without .json>_per_volume.json``.
            Defaults to None.
        class_groups (dict, optional): Group name -> class names, each group
            scored as one merged region (see above). Names must not clash
            with class names. Defaults to None.
        **kwargs: Passed to :class:`~mmseg.evaluation.IoUMetric`, e.g.
            ``iou_metrics=['mIoU', 'mDice']``.
    """

    def __init__(self,
                 per_image_file: Optional[str] = None,
                 per_volume: Optional[bool] = None,
                 per_volume_file: Optional[str] = None,
                 class_groups: Optional[Dict[str, Sequence[str]]] = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.class_groups = {
            str(k): list(v)
            for k, v in (class_groups or {}).items()
        }
        if per_volume not in (None, True, False):
            raise ValueError('PerClassIoUMetric: per_volume must be None '
                             f'(auto), True or False, got {per_volume!r}.')
        self.per_image_file = per_image_file
        self.per_volume = per_volume
        if per_volume_file is None and per_image_file:
            per_volume_file = (
                osp.splitext(per_image_file)[0] + '_per_volume.json')
        self.per_volume_file = per_volume_file

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Store mmseg's four area histograms per sample plus the sample's
        ``img_path`` (and ``slice_idx`` when present), so that per-image and
        per-volume values survive the collection across ranks."""
        start = len(self.results)
        super().process(data_batch, data_samples)
        if self.format_only:
            return
        for i, sample in zip(range(start, len(self.results)), data_samples):
            meta = {'img_path': sample.get('img_path', '')}
            if sample.get('slice_idx') is not None:
                meta['slice_idx'] = int(sample['slice_idx'])
            if self.class_groups:
                meta['groups'] = self._group_areas(sample)
            self.results[i] = tuple(self.results[i]) + (meta, )

    def _group_indices(self) -> Dict[str, List[int]]:
        """Class indices of each group, checked once per ``dataset_meta``
        (it is set after construction, so not in ``__init__``)."""
        classes = list(self.dataset_meta['classes'])
        cached = getattr(self, '_group_idx_cache', None)
        if cached is not None and cached[0] == classes:
            return cached[1]
        out = {}
        for name, members in self.class_groups.items():
            if name in classes:
                raise ValueError(
                    f'PerClassIoUMetric: class_groups name {name!r} is also a '
                    f'class name; rename the group (classes: {classes}).')
            unknown = [m for m in members if m not in classes]
            if unknown or not members:
                raise ValueError(
                    f'PerClassIoUMetric: class_groups[{name!r}] = {members} '
                    f'names {unknown or "no"} class(es) of the dataset; its '
                    f'classes are {classes}.')
            out[name] = [classes.index(m) for m in members]
        self._group_idx_cache = (classes, out)
        return out

    def _group_areas(self, sample: dict) -> Dict[str, tuple]:
        """mmseg's four areas of each group, as a two-class problem (index
        1 = the group) through ``IoUMetric.intersect_and_union``."""
        pred = sample['pred_sem_seg']['data'].squeeze()
        label = sample['gt_sem_seg']['data'].squeeze().to(pred)
        out = {}
        for name, idx in self._group_indices().items():
            members = torch.tensor(idx, dtype=pred.dtype, device=pred.device)
            pred_g = torch.isin(pred, members).to(pred)
            label_g = torch.where(label == self.ignore_index, label,
                                  torch.isin(label, members).to(label))
            out[name] = tuple(
                a[1:].cpu() for a in self.intersect_and_union(
                    pred_g, label_g, 2, self.ignore_index))
        return out

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """IoUMetric's metrics plus the keys listed in the class docstring."""
        if self.format_only:
            return super().compute_metrics(results)
        areas = [r[:4] for r in results]
        metas = [r[4] for r in results]
        metrics = super().compute_metrics(areas)
        class_names = self.dataset_meta['classes']
        totals = _as_float64(*(sum(a) for a in zip(*areas)))
        per_class = self.total_area_to_metrics(
            *totals, metrics=['mIoU', 'mDice'], nan_to_num=self.nan_to_num)
        out = OrderedDict(metrics)
        for i, name in enumerate(class_names):
            out[f'IoU.{name}'] = float(np.round(per_class['IoU'][i] * 100, 2))
            out[f'Dice.{name}'] = float(
                np.round(per_class['Dice'][i] * 100, 2))
        out.update(self._never_predicted(totals[2], totals[3], class_names))
        group_areas = {
            name: [m['groups'][name] for m in metas]
            for name in self.class_groups
        }
        for name, g_areas in group_areas.items():
            g = self.total_area_to_metrics(
                *_as_float64(*(sum(a) for a in zip(*g_areas))),
                metrics=['mIoU', 'mDice'])
            out[f'IoU.{name}'] = float(np.round(g['IoU'][0] * 100, 2))
            out[f'Dice.{name}'] = float(np.round(g['Dice'][0] * 100, 2))
        volumes = self._group_volumes(areas, metas)
        if volumes:
            out.update(self._per_volume_dice(volumes, class_names))
            for name, g_areas in group_areas.items():
                g_volumes = self._group_volumes(g_areas, metas)
                dice = [self._volume_dice(s)[0] for s in g_volumes.values()]
                out[f'Dice3D.{name}'] = float(
                    np.round(nanmean(dice) * 100, 2))
        if is_main_process():
            if self.per_image_file:
                self._write_per_image(areas, metas, class_names)
            if volumes and self.per_volume_file:
                self._write_per_volume(volumes, class_names)
        return out

    # ------------------------------------------------------------- guard
    @staticmethod
    def _never_predicted(pred_area: torch.Tensor, label_area: torch.Tensor,
                         class_names: Sequence[str]) -> Dict[str, int]:
        never = (label_area > 0) & (pred_area == 0)
        out = {f'never_predicted.{name}': int(never[i])
               for i, name in enumerate(class_names)}
        out['never_predicted'] = int(never.sum())
        logger = MMLogger.get_current_instance()
        for i, name in enumerate(class_names):
            if never[i]:
                logger.warning(
                    f'Class {name!r} occurs in the ground truth of the '
                    f'evaluated set ({int(label_area[i])} pixels) but was '
                    f'never predicted, in {run_description()}. The model has '
                    f'learned nothing about {name!r}: its IoU/Dice are 0 and '
                    'the mean metrics are not a result. Train longer, or '
                    'handle the class imbalance (foreground-aware crops, '
                    'loss weights).')
        return out

    # --------------------------------------------------------- per volume
    def _group_volumes(self, areas, metas) -> Dict[str, List[tuple]]:
        if self.per_volume is False:
            return {}
        if self.per_volume is None and not any(
                is_nifti(m['img_path']) for m in metas):
            return {}
        volumes: Dict[str, List[tuple]] = OrderedDict()
        for area, meta in zip(areas, metas):
            volumes.setdefault(meta['img_path'], []).append(area)
        return volumes

    def _volume_dice(self, slices: List[tuple]) -> np.ndarray:
        totals = _as_float64(*(sum(a) for a in zip(*slices)))
        return self.total_area_to_metrics(*totals, metrics=['mDice'])['Dice']

    def _per_volume_dice(self, volumes, class_names) -> Dict[str, float]:
        dice = np.stack([self._volume_dice(s) for s in volumes.values()])
        per_class = [nanmean(dice[:, i]) for i in range(len(class_names))]
        out = OrderedDict()
        for name, value in zip(class_names, per_class):
            out[f'Dice3D.{name}'] = float(np.round(value * 100, 2))
        out['mDice3D'] = float(np.round(nanmean(per_class) * 100, 2))
        return out

    # --------------------------------------------------------------- files
    @staticmethod
    def _percent_or_none(value) -> Optional[float]:
        value = float(value)
        return None if np.isnan(value) else value * 100

    def _write_per_image(self, areas, metas, class_names):
        records = []
        for area, meta in zip(areas, metas):
            values = self.total_area_to_metrics(
                *_as_float64(*area), metrics=['mIoU', 'mDice'])
            rec = {k: v for k, v in meta.items() if k != 'groups'}
            for i, name in enumerate(class_names):
                rec[f'IoU.{name}'] = self._percent_or_none(values['IoU'][i])
                rec[f'Dice.{name}'] = self._percent_or_none(
                    values['Dice'][i])
            for name, g_area in meta.get('groups', {}).items():
                g = self.total_area_to_metrics(
                    *_as_float64(*g_area), metrics=['mIoU', 'mDice'])
                rec[f'IoU.{name}'] = self._percent_or_none(g['IoU'][0])
                rec[f'Dice.{name}'] = self._percent_or_none(g['Dice'][0])
            records.append(rec)
        self._dump(records, self.per_image_file, 'per-image', 'images')

    def _write_per_volume(self, volumes, class_names):
        records = []
        for path, slices in volumes.items():
            dice = self._volume_dice(slices)
            rec = {'img_path': path, 'num_slices': len(slices)}
            for i, name in enumerate(class_names):
                rec[f'Dice.{name}'] = self._percent_or_none(dice[i])
            records.append(rec)
        self._dump(records, self.per_volume_file, 'per-volume', 'volumes')

    @staticmethod
    def _dump(records, path, what, unit):
        atomic_write_json(path, records)
        print_log(
            f'{what} results of {len(records)} {unit} written to {path}',
            logger=MMLogger.get_current_instance())
