"""Clinical measurements from a segmentation: region size and mean raw
intensity, prediction vs ground truth, per test image or volume."""
import copy
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
from mmengine.dist import is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

from ussl_mm.datasets.pixel_spacing import read_pixel_spacing_csv
from ussl_mm.utils.atomic import atomic_write_json
from .per_class_iou_metric import is_nifti
from .pixel_spacing import find_spacing_file, spacing_of_image

QUANTITIES = ('size_gt', 'size_pred', 'size_err', 'size_pct_err',
              'intensity_gt', 'intensity_pred', 'intensity_err',
              'intensity_pct_err')


def percent_error(pred: Optional[float],
                  ref: Optional[float]) -> Optional[float]:
    """Signed percent error ``100 * (pred - ref) / |ref|``.

    Args:
        pred (float, optional): Measured value.
        ref (float, optional): Reference (ground-truth) value.

    Returns:
        float | None: None when either value is undefined or ``ref`` is 0
        (never a division by zero).
    """
    if pred is None or ref is None or ref == 0:
        return None
    return 100.0 * (pred - ref) / abs(ref)


def _median_abs(values: Sequence[Optional[float]]) -> float:
    arr = np.abs([v for v in values if v is not None])
    return float(np.median(arr)) if arr.size else float('nan')


@METRICS.register_module()
class ClinicalMetric(BaseMetric):
    """Region size and mean intensity, prediction vs ground truth.

    For every test case and class it measures, in the prediction and in the
    ground truth:

    - the region's **size**: pixels; mm^2 when the pixel spacing is known
      (``pixel_spacing.csv`` of the data root, see below); mL for NIfTI
      volumes (voxel count x ``|det(affine[:3, :3])|`` / 1000);
    - its **mean intensity**, read from the **raw** image file, never from
      the normalised network input: the gray level of a 2-D image (8-bit
      for ultrasound; a colour image is converted to gray with OpenCV's
      weights; a 16-bit image keeps its values), the raw voxel value of a
      NIfTI volume before z-scoring or windowing (HU for CT). Files are
      re-read from ``img_path`` (volumes through a small cache of
      ``cache_size`` entries).

    and reports the error of the prediction, ``pred - gt``, in units and in
    percent of the ground truth, ``100 * (pred - gt) / |gt|``.

    A *case* is one image for 2-D data and one volume for NIfTI slices:
    the slices of a volume (same ``img_path``) are pooled, so sizes are
    volumes in mL and intensities are means over the 3-D region. NIfTI
    samples must carry ``slice_idx`` (add it to ``PackSegInputs``'
    ``meta_keys``); ``slice_axis`` is read from the sample too, else from
    the argument.

    Conventions (never a division by zero):

    - **Ground truth empty** (class absent from the case): the size percent
      error is undefined; the predicted size itself is reported instead
      (``size_err`` = predicted size, a false positive when > 0). Such
      cases are counted (``empty_gt_n``), those with any predicted pixel
      too (``empty_gt_fp_n``), and their mean predicted size is returned
      (``empty_gt_pred_<unit>``). The intensity error is undefined.
    - **Prediction empty, ground truth not**: size error -100 %; the
      intensity error is undefined.
    - **Ground-truth mean intensity 0** (e.g. 0 HU, or an anechoic region
      at gray 0): the intensity percent error is undefined; the error in
      units is still reported.
    - Undefined errors are excluded from the medians and counted
      (``intensity_excluded_n``).

    Returned keys per reported class ``<c>`` (prefixed ``clinical/``):
    ``size_MdAPE.<c>`` (median absolute size percent error over cases with
    ground truth), ``size_n.<c>`` (those cases), ``intensity_MdAPE.<c>``,
    ``intensity_MdAE.<c>`` (median absolute intensity error in raw units),
    ``intensity_n.<c>`` (cases with a defined intensity percent error),
    ``intensity_excluded_n.<c>``, ``empty_gt_n.<c>``, ``empty_gt_fp_n.<c>``
    and ``empty_gt_pred_<unit>.<c>``. Per-case values go to
    ``per_image_file``.

    Pixel spacing of 2-D images: the CSV ``pixel_spacing_file``, else the
    first ``pixel_spacing.csv`` found in the image's folder or its two
    parents (``<data_root>/img_dir/<split>/``), header
    ``stem,row_spacing_mm,col_spacing_mm``, a row with stem ``*`` being the
    default. Without such a file sizes are in pixels.

    Args:
        classes (Sequence[str], optional): Classes to report. Defaults to
            None: every class except ``'background'``.
        ignore_index (int): Label value left out of every region. Defaults
            to 255.
        pixel_spacing_file (str, optional): CSV of pixel spacings for 2-D
            images; must exist when given. Defaults to None (searched next
            to the images).
        slice_axis (int): Axis of the NIfTI volume the slices were cut
            along, used when the sample has no ``slice_axis``. Defaults to
            2 (``NiftiSliceDataset``'s default).
        cache_size (int): Raw volumes/images kept in memory. Defaults to 2.
        per_image_file (str, optional): JSON file with one record per case
            (``img_path``, ``num_slices`` for volumes, ``size_unit``,
            ``intensity_unit`` and, per class, ``size_gt``, ``size_pred``,
            ``size_err``, ``size_pct_err``, ``intensity_gt``,
            ``intensity_pred``, ``intensity_err``, ``intensity_pct_err``;
            ``null`` where undefined). Defaults to None.
        collect_device (str): See :class:`mmengine.evaluator.BaseMetric`.
            Defaults to 'cpu'.
        prefix (str, optional): Key prefix. Defaults to None ('clinical').
    """

    default_prefix = 'clinical'

    def __init__(self,
                 classes: Optional[Sequence[str]] = None,
                 ignore_index: int = 255,
                 pixel_spacing_file: Optional[str] = None,
                 slice_axis: int = 2,
                 cache_size: int = 2,
                 per_image_file: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if slice_axis not in (0, 1, 2):
            raise ValueError('ClinicalMetric: slice_axis must be 0, 1 or 2, '
                             f'got {slice_axis!r}.')
        if cache_size < 1:
            raise ValueError('ClinicalMetric: cache_size must be >= 1, got '
                             f'{cache_size!r}.')
        if pixel_spacing_file is not None and not osp.isfile(
                pixel_spacing_file):
            raise FileNotFoundError(
                'ClinicalMetric: pixel_spacing_file '
                f'{pixel_spacing_file} does not exist. Give the CSV '
                '(stem,row_spacing_mm,col_spacing_mm) or leave it None to '
                'use <data_root>/pixel_spacing.csv when present.')
        self.classes = None if classes is None else list(classes)
        self.ignore_index = ignore_index
        self.pixel_spacing_file = pixel_spacing_file
        self.slice_axis = slice_axis
        self.cache_size = cache_size
        self.per_image_file = per_image_file
        self._cache: 'OrderedDict[str, tuple]' = OrderedDict()
        self._spacing: Dict[str, Optional[tuple]] = {}

    # ---------------------------------------------------------- classes
    def _class_indices(self) -> List[Tuple[int, str]]:
        names = list(self.dataset_meta['classes'])
        if self.classes is None:
            return [(i, n) for i, n in enumerate(names) if n != 'background']
        unknown = [c for c in self.classes if c not in names]
        if unknown:
            raise ValueError(f'ClinicalMetric: classes {unknown} are not in '
                             f"the dataset's classes {names}.")
        return [(names.index(c), c) for c in self.classes]

    # ---------------------------------------------------------- raw data
    def _cached(self, path: str, reader):
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        value = reader(path)
        self._cache[path] = value
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return value

    @staticmethod
    def _read_image(path: str) -> tuple:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'ClinicalMetric: image {path} (img_path of a test sample) '
                'not found; the metric re-reads the raw image for its '
                'intensities.')
        img = mmcv.imread(path, flag='unchanged')
        if img is None:
            raise ValueError(f'ClinicalMetric: cannot decode image {path}.')
        img = img.astype(np.float32)
        if img.ndim == 3 and img.shape[2] == 1:
            img = img[..., 0]
        elif img.ndim == 3 and img.shape[2] in (3, 4):
            code = (cv2.COLOR_BGR2GRAY
                    if img.shape[2] == 3 else cv2.COLOR_BGRA2GRAY)
            img = cv2.cvtColor(img, code)
        elif img.ndim != 2:
            raise ValueError(f'ClinicalMetric: image {path} has shape '
                             f'{img.shape}; expected HxW or HxWx3.')
        return (img, )

    @staticmethod
    def _read_volume(path: str) -> tuple:
        from ussl_mm.datasets.nifti_slice_dataset import NiftiSliceDataset
        data, affine = NiftiSliceDataset.read_volume(path)
        voxel_mm3 = abs(float(np.linalg.det(affine[:3, :3])))
        if not voxel_mm3 > 0:
            raise ValueError(
                f'ClinicalMetric: NIfTI file {path} has a singular affine '
                f'(voxel volume {voxel_mm3} mm^3); its sizes cannot be '
                'given in mL. Fix the affine in the file header.')
        return data, voxel_mm3

    def _spacing_of(self, img_path: str) -> Optional[tuple]:
        source = self.pixel_spacing_file or find_spacing_file(img_path)
        if source is None:
            return None
        if source not in self._spacing:
            self._spacing[source] = read_pixel_spacing_csv(source)
            print_log(f'ClinicalMetric: pixel spacing from {source}',
                      logger=MMLogger.get_current_instance())
        row, col = spacing_of_image(self._spacing[source], img_path, source)
        return row * col

    def _raw_slice(self, sample: dict, gt_shape: tuple):
        """Raw intensities of the sample, its size unit and unit per pixel.
        """
        path = sample['img_path']
        if is_nifti(path):
            if sample.get('slice_idx') is None:
                raise ValueError(
                    f'ClinicalMetric: the sample of NIfTI volume {path} has '
                    'no slice_idx, so its raw slice cannot be re-read. Add '
                    "'slice_idx' (and 'slice_axis') to the meta_keys of "
                    'PackSegInputs in the test pipeline: '
                    "meta_keys=('img_path', 'seg_map_path', 'ori_shape', "
                    "'img_shape', 'pad_shape', "
                    "'scale_factor', 'flip', 'flip_direction', "
                    "'reduce_zero_label', 'slice_idx', 'slice_axis').")
            axis = int(sample.get('slice_axis', self.slice_axis))
            vol, voxel_mm3 = self._cached(path, self._read_volume)
            raw = np.take(vol, int(sample['slice_idx']), axis=axis)
            unit, per_px = 'mL', voxel_mm3 / 1000.0
            where = f'slice {sample["slice_idx"]} (axis {axis}) of {path}'
        else:
            (raw, ) = self._cached(path, self._read_image)
            area = self._spacing_of(path)
            unit, per_px = ('px', 1.0) if area is None else ('mm2', area)
            where = path
        if raw.shape != tuple(gt_shape):
            raise ValueError(
                f'ClinicalMetric: raw image {where} is {raw.shape} but its '
                f'ground truth is {tuple(gt_shape)}. The metric measures at '
                'the original resolution: load the annotation after Resize '
                "in the test pipeline (as mmseg's test pipelines do)"
                + (', and check slice_axis.' if is_nifti(path) else '.'))
        return raw, unit, per_px

    # ---------------------------------------------------------- process
    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Count pixels and sum raw intensities per class and sample."""
        classes = self._class_indices()
        for sample in data_samples:
            if 'gt_sem_seg' not in sample:
                raise ValueError(
                    f'ClinicalMetric: sample {sample.get("img_path")} has no '
                    'ground truth (gt_sem_seg); the metric compares '
                    'prediction with ground truth.')
            pred = sample['pred_sem_seg']['data'].squeeze().cpu().numpy()
            gt = sample['gt_sem_seg']['data'].squeeze().cpu().numpy()
            if pred.shape != gt.shape:
                raise ValueError(
                    f'ClinicalMetric: prediction {pred.shape} and ground '
                    f'truth {gt.shape} of {sample["img_path"]} differ.')
            raw, unit, per_px = self._raw_slice(sample, gt.shape)
            raw = raw.astype(np.float64)
            valid = gt != self.ignore_index
            stats = np.zeros((4, len(classes)), dtype=np.float64)
            for j, (idx, _) in enumerate(classes):
                g = (gt == idx) & valid
                p = (pred == idx) & valid
                stats[:, j] = (g.sum(), p.sum(), raw[g].sum(), raw[p].sum())
            slice_idx = sample.get('slice_idx')
            self.results.append(
                dict(
                    img_path=sample['img_path'],
                    slice_idx=None if slice_idx is None else int(slice_idx),
                    unit=unit,
                    per_px=per_px,
                    stats=stats))

    # ---------------------------------------------------------- compute
    @staticmethod
    def _cases(results: list) -> 'OrderedDict[str, dict]':
        """Pool the samples of each ``img_path`` (slices of a volume)."""
        cases: 'OrderedDict[str, dict]' = OrderedDict()
        seen = set()
        for r in results:
            key = (r['img_path'], r['slice_idx'])
            if key in seen:
                raise ValueError(
                    f'ClinicalMetric: {r["img_path"]}'
                    + ('' if r['slice_idx'] is None else
                       f' slice {r["slice_idx"]}')
                    + ' was evaluated twice; each test sample must occur '
                    'once (check the test split for duplicates).')
            seen.add(key)
            case = cases.setdefault(
                r['img_path'],
                dict(unit=r['unit'], per_px=r['per_px'], num_slices=0,
                     stats=np.zeros_like(r['stats'])))
            if case['unit'] != r['unit'] or not np.isclose(
                    case['per_px'], r['per_px']):
                raise ValueError(
                    f'ClinicalMetric: slices of {r["img_path"]} have '
                    'different pixel sizes.')
            case['stats'] += r['stats']
            case['num_slices'] += 1
        return cases

    @staticmethod
    def case_errors(stats: np.ndarray, per_px: float) -> Dict[str, list]:
        """Per-class measurements and errors of one case.

        Args:
            stats (np.ndarray): 4 x C: ground-truth pixel count, predicted
                pixel count, raw-intensity sum over the ground-truth region,
                over the predicted region.
            per_px (float): Size of one pixel/voxel in the reported unit.

        Returns:
            dict[str, list]: One list of C values (None when undefined) for
            each of ``QUANTITIES``; see the class docstring for the
            conventions.
        """
        out = {q: [] for q in QUANTITIES}
        for n_gt, n_pred, s_gt, s_pred in stats.T:
            size_gt, size_pred = n_gt * per_px, n_pred * per_px
            i_gt = s_gt / n_gt if n_gt else None
            i_pred = s_pred / n_pred if n_pred else None
            out['size_gt'].append(size_gt)
            out['size_pred'].append(size_pred)
            out['size_err'].append(size_pred - size_gt)
            out['size_pct_err'].append(
                percent_error(size_pred, size_gt) if n_gt else None)
            out['intensity_gt'].append(i_gt)
            out['intensity_pred'].append(i_pred)
            out['intensity_err'].append(
                None if i_gt is None or i_pred is None else i_pred - i_gt)
            out['intensity_pct_err'].append(percent_error(i_pred, i_gt))
        return out

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Aggregate per-case errors into medians and counts per class."""
        classes = [name for _, name in self._class_indices()]
        cases = self._cases(results)
        units = {c['unit'] for c in cases.values()}
        if len(units) > 1:
            raise ValueError(
                f'ClinicalMetric: the evaluated set mixes size units {units} '
                '(some images have a pixel spacing, others not); give every '
                'image a spacing or none.')
        unit = units.pop() if units else 'px'
        intensity_unit = 'raw' if unit == 'mL' else 'gray'
        records = []
        for path, case in cases.items():
            errs = self.case_errors(case['stats'], case['per_px'])
            rec = {'img_path': path}
            if case['unit'] == 'mL':
                rec['num_slices'] = case['num_slices']
            rec.update(size_unit=unit, intensity_unit=intensity_unit)
            for q in QUANTITIES:
                for j, name in enumerate(classes):
                    v = errs[q][j]
                    rec[f'{q}.{name}'] = None if v is None else float(v)
            records.append(rec)

        out = OrderedDict()
        table = PrettyTable()
        table.field_names = [
            'Class', 'cases with GT', 'size MdAPE (%)',
            'intensity MdAPE (%)', f'intensity MdAE ({intensity_unit})',
            'excluded (intensity)', 'empty GT (with FP)',
            f'mean pred on empty GT ({unit})'
        ]
        for name in classes:
            col = {q: [r[f'{q}.{name}'] for r in records] for q in QUANTITIES}
            has_gt = [g > 0 for g in col['size_gt']]
            empty_pred = [p for p, h in zip(col['size_pred'], has_gt)
                          if not h]
            n_int = sum(v is not None for v in col['intensity_pct_err'])
            row = OrderedDict([
                (f'size_MdAPE.{name}', _median_abs(col['size_pct_err'])),
                (f'size_n.{name}', int(sum(has_gt))),
                (f'intensity_MdAPE.{name}',
                 _median_abs(col['intensity_pct_err'])),
                (f'intensity_MdAE.{name}', _median_abs(col['intensity_err'])),
                (f'intensity_n.{name}', int(n_int)),
                (f'intensity_excluded_n.{name}', len(records) - n_int),
                (f'empty_gt_n.{name}', len(empty_pred)),
                (f'empty_gt_fp_n.{name}', int(sum(p > 0 for p in empty_pred))),
                (f'empty_gt_pred_{unit}.{name}',
                 float(np.mean(empty_pred)) if empty_pred else float('nan')),
            ])
            out.update(row)
            v = list(row.values())
            table.add_row([
                name, v[1], f'{v[0]:.2f}', f'{v[2]:.2f}', f'{v[3]:.2f}', v[5],
                f'{v[6]} ({v[7]})', f'{v[8]:.4g}'
            ])
        logger = MMLogger.get_current_instance()
        print_log(f'clinical measurements over {len(records)} cases '
                  f'(sizes in {unit}, intensities in {intensity_unit} '
                  'units of the raw files):\n' + table.get_string(),
                  logger=logger)
        if self.per_image_file and is_main_process():
            atomic_write_json(self.per_image_file, records)
            print_log(
                f'clinical per-case results of {len(records)} cases written '
                f'to {self.per_image_file}', logger=logger)
        self._cache.clear()
        return out


def add_clinical_metric(evaluator: Union[dict, list],
                        **clinical_cfg) -> list:
    """An evaluator config with a :class:`ClinicalMetric` appended.

    ``evaluator`` (e.g. ``cfg.test_evaluator``) may be one metric config or
    a list; the result is a new list (the input is not modified). A
    ``ClinicalMetric`` already in it is replaced by the new one.

    Args:
        evaluator (dict | list): The evaluator config.
        **clinical_cfg: Arguments of :class:`ClinicalMetric`, e.g.
            ``per_image_file='work_dir/clinical.json'``.

    Returns:
        list: The evaluator config as a list of metric configs.
    """
    metrics = evaluator if isinstance(evaluator, (list, tuple)) else [
        evaluator
    ]
    metrics = [
        copy.deepcopy(m) for m in metrics
        if m.get('type') not in ('ClinicalMetric', 'mmseg.ClinicalMetric')
    ]
    metrics.append(dict(type='ClinicalMetric', **clinical_cfg))
    return metrics
