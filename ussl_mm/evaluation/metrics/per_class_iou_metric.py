"""IoU/Dice metric that also returns per-class and per-image values."""
import json
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.dist import is_main_process
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS


@METRICS.register_module()
class PerClassIoUMetric(IoUMetric):
    """mmseg's :class:`~mmseg.evaluation.IoUMetric` plus per-class and
    per-image results.

    mmseg's ``IoUMetric`` prints the per-class table but returns only the
    class means (``mIoU``, ``mDice``, ...), so per-class IoU never reaches the
    logs' scalars, ``runner.test()``'s return value or a results table. A
    label-efficiency study needs both the per-class values and, for paired
    statistics across initialisations, the value of every test image.

    The dataset-level numbers are exactly ``IoUMetric``'s (computed from the
    areas summed over the split). Added keys: ``IoU.<class>`` and
    ``Dice.<class>`` (percent, like mmseg's). Per-image values are written to
    ``per_image_file`` when it is set.

    Args:
        per_image_file (str, optional): JSON file to write one record per test
            image (``img_path`` plus per-class IoU and Dice in percent; NaN
            where a class is absent from both prediction and label). Relative
            paths are resolved against the current directory. Defaults to
            None.
        **kwargs: Passed to :class:`~mmseg.evaluation.IoUMetric`, e.g.
            ``iou_metrics=['mIoU', 'mDice']``.
    """

    def __init__(self, per_image_file: Optional[str] = None, **kwargs):
        super().__init__(**kwargs)
        self.per_image_file = per_image_file
        self._img_paths = []

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        super().process(data_batch, data_samples)
        if not self.format_only:
            self._img_paths.extend(
                s.get('img_path', '') for s in data_samples)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        if self.format_only:
            return metrics
        class_names = self.dataset_meta['classes']
        inter, union, pred, label = (sum(r) for r in zip(*results))
        inter, union, pred, label = (
            np.asarray(x, dtype=np.float64)
            for x in (inter, union, pred, label))
        with np.errstate(divide='ignore', invalid='ignore'):
            iou = inter / union
            dice = 2 * inter / (pred + label)
        out = OrderedDict(metrics)
        for i, name in enumerate(class_names):
            out[f'IoU.{name}'] = float(np.round(iou[i] * 100, 2))
            out[f'Dice.{name}'] = float(np.round(dice[i] * 100, 2))
        if self.per_image_file and is_main_process():
            self._write_per_image(results, class_names)
        self._img_paths = []
        return out

    def _write_per_image(self, results, class_names):
        records = []
        paths = self._img_paths[-len(results):]
        for path, (inter, union, pred, label) in zip(paths, results):
            inter, union, pred, label = (
                np.asarray(x, dtype=np.float64)
                for x in (inter, union, pred, label))
            with np.errstate(divide='ignore', invalid='ignore'):
                iou = inter / union * 100
                dice = 2 * inter / (pred + label) * 100
            rec = {'img_path': path}
            for i, name in enumerate(class_names):
                rec[f'IoU.{name}'] = None if np.isnan(iou[i]) else float(
                    iou[i])
                rec[f'Dice.{name}'] = None if np.isnan(dice[i]) else float(
                    dice[i])
            records.append(rec)
        dirname = osp.dirname(osp.abspath(self.per_image_file))
        os.makedirs(dirname, exist_ok=True)
        with open(self.per_image_file, 'w', encoding='utf-8') as f:
            json.dump(records, f, indent=1)
        print_log(
            f'per-image results of {len(records)} images written to '
            f'{self.per_image_file}',
            logger=MMLogger.get_current_instance())
