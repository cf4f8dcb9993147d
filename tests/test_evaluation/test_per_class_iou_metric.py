"""PerClassIoUMetric on constructed predictions with known answers."""
import json

import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from ussl_mm.evaluation import PerClassIoUMetric


def _sample(pred, gt, path):
    s = SegDataSample()
    s.pred_sem_seg = PixelData(data=torch.tensor(pred)[None])
    s.gt_sem_seg = PixelData(data=torch.tensor(gt)[None])
    s.set_metainfo({'img_path': path})
    return s.to_dict()


def test_values_on_constructed_case(tmp_path):
    # Image a: gt fg = 4 px, pred fg = 2 of them -> fg IoU 2/4, Dice 2*2/6.
    gt_a = [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    pr_a = [[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    # Image b: no foreground anywhere, perfect background.
    gt_b = [[0] * 4] * 4
    per_image = tmp_path / 'per_image.json'
    metric = PerClassIoUMetric(
        iou_metrics=['mIoU', 'mDice'], per_image_file=str(per_image))
    metric.dataset_meta = dict(classes=('background', 'effusion'))
    metric.process({}, [_sample(pr_a, gt_a, 'a.png')])
    metric.process({}, [_sample(gt_b, gt_b, 'b.png')])
    out = metric.evaluate(2)
    # Totals: fg inter 2, union 4 -> 50; bg inter 28, union 30.
    assert out['IoU.effusion'] == pytest.approx(50.0)
    assert out['IoU.background'] == pytest.approx(round(28 / 30 * 100, 2))
    assert out['Dice.effusion'] == pytest.approx(round(4 / 6 * 100, 2))
    assert out['mIoU'] == pytest.approx(
        round((50.0 + 28 / 30 * 100) / 2, 2), abs=0.01)
    recs = json.loads(per_image.read_text())
    assert [r['img_path'] for r in recs] == ['a.png', 'b.png']
    assert recs[0]['Dice.effusion'] == pytest.approx(4 / 6 * 100)
    assert recs[1]['Dice.effusion'] is None  # absent in both: undefined
    assert recs[1]['IoU.background'] == pytest.approx(100.0)
