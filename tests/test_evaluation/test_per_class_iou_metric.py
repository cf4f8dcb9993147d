"""PerClassIoUMetric on constructed predictions with known answers."""
import json
import logging

import pytest
import torch
from mmengine.logging import MMLogger
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


class _Records(logging.Handler):

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _evaluate_capturing_warnings(metric, n):
    handler = _Records()
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        out = metric.evaluate(n)
    finally:
        logger.removeHandler(handler)
    return out, handler.messages


def test_never_predicted_class_is_flagged_and_warned():
    gt = [[1, 1, 0, 0], [1, 1, 0, 0], [0] * 4, [0] * 4]
    metric = PerClassIoUMetric(iou_metrics=['mIoU', 'mDice'])
    metric.dataset_meta = dict(classes=('background', 'effusion'))
    metric.process({}, [_sample([[0] * 4] * 4, gt, 'a.png')])
    out, warnings = _evaluate_capturing_warnings(metric, 1)
    assert out['never_predicted.effusion'] == 1
    assert out['never_predicted.background'] == 0
    assert out['never_predicted'] == 1
    assert out['IoU.effusion'] == 0.0
    assert out['mIoU'] == pytest.approx(round(12 / 16 * 100 / 2, 2))
    assert len(warnings) == 1
    assert "'effusion'" in warnings[0] and 'never predicted' in warnings[0]
    assert 'run ' in warnings[0]


def test_absent_class_is_not_flagged():
    # effusion absent from the ground truth and never predicted: nothing to
    # learn, no flag; a false positive is no flag either.
    metric = PerClassIoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = dict(classes=('background', 'effusion'))
    metric.process({}, [_sample([[0] * 4] * 4, [[0] * 4] * 4, 'a.png')])
    metric.process({}, [_sample([[1] * 4] * 4, [[0] * 4] * 4, 'b.png')])
    out, warnings = _evaluate_capturing_warnings(metric, 2)
    assert out['never_predicted'] == 0
    assert out['never_predicted.effusion'] == 0
    assert warnings == []
    assert not any(k.startswith('Dice3D') for k in out)  # 2-D: no volumes


def _slice(pred, gt, path, idx):
    s = _sample(pred, gt, path)
    s['slice_idx'] = idx
    return s


def test_per_volume_dice_on_constructed_volumes(tmp_path):
    z = [[0] * 4] * 4
    fg4 = [[1, 1, 0, 0], [1, 1, 0, 0], [0] * 4, [0] * 4]
    fp2 = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 1], [0] * 4]
    fg2 = [[0] * 4, [0] * 4, [0] * 4, [1, 1, 0, 0]]
    metric = PerClassIoUMetric(
        iou_metrics=['mIoU', 'mDice'],
        per_image_file=str(tmp_path / 'per_image.json'))
    metric.dataset_meta = dict(classes=('background', 'fg'))
    # volume a: slice 0 perfect (4 px), slice 1 a 2-px false positive
    # -> 3-D fg Dice 2*4 / (6 + 4) = 0.8
    metric.process({}, [_slice(fg4, fg4, 'd/a.nii.gz', 0)])
    metric.process({}, [_slice(fp2, z, 'd/a.nii.gz', 1)])
    # volume b: 2 fg px missed -> fg Dice 0
    metric.process({}, [_slice(z, fg2, 'd/b.nii.gz', 0)])
    out = metric.evaluate(3)
    assert out['Dice3D.fg'] == pytest.approx(40.0)
    # background: a: inter 26, pred 26, gt 28 -> 52/54; b: 14/14 and 16
    bg_a, bg_b = 2 * 26 / (26 + 28), 2 * 14 / (16 + 14)
    assert out['Dice3D.background'] == pytest.approx(
        round((bg_a + bg_b) / 2 * 100, 2))
    assert out['mDice3D'] == pytest.approx(
        round(((bg_a + bg_b) / 2 + 0.4) / 2 * 100, 2))
    # the slice-pooled value is unchanged: 2*4 / (6 + 6)
    assert out['Dice.fg'] == pytest.approx(round(8 / 12 * 100, 2))
    vols = json.loads((tmp_path / 'per_image_per_volume.json').read_text())
    assert [(v['img_path'], v['num_slices']) for v in vols] == [
        ('d/a.nii.gz', 2), ('d/b.nii.gz', 1)]
    assert vols[0]['Dice.fg'] == pytest.approx(80.0)
    assert vols[1]['Dice.fg'] == pytest.approx(0.0)
    recs = json.loads((tmp_path / 'per_image.json').read_text())
    assert [r.get('slice_idx') for r in recs] == [0, 1, 0]


def test_per_volume_absent_class_left_out_of_mean():
    z = [[0] * 4] * 4
    fg = [[1] * 4] + [[0] * 4] * 3
    metric = PerClassIoUMetric(iou_metrics=['mIoU'], per_volume=True)
    metric.dataset_meta = dict(classes=('background', 'fg'))
    metric.process({}, [_sample(fg, fg, 'v1')])  # fg Dice 1
    metric.process({}, [_sample(z, z, 'v2')])  # fg absent: undefined
    out = metric.evaluate(2)
    assert out['Dice3D.fg'] == pytest.approx(100.0)
    off = PerClassIoUMetric(per_volume=False)
    off.dataset_meta = dict(classes=('background', 'fg'))
    off.process({}, [_sample(fg, fg, 'v.nii.gz')])
    assert 'mDice3D' not in off.evaluate(1)
    with pytest.raises(ValueError, match='per_volume'):
        PerClassIoUMetric(per_volume='yes')


def test_class_groups_merge_confused_classes():
    # Two structures, each 2 px; every pixel of class 1 is predicted as
    # class 2: per class, Dice 0 (class 1) and 2*2/(2+4)=66.67 (class 2);
    # merged, both structures are found: Dice 100. One ignored pixel (255)
    # predicted as a structure counts nowhere.
    gt = [[1, 1, 0, 0], [2, 2, 0, 255]]
    pr = [[2, 2, 0, 0], [2, 2, 0, 1]]
    metric = PerClassIoUMetric(
        iou_metrics=['mIoU', 'mDice'],
        class_groups=dict(structures=['a', 'b']))
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    metric.process({}, [_sample(pr, gt, 'v.nii.gz')])
    out = metric.evaluate(1)
    assert out['Dice.a'] == pytest.approx(0.0)
    assert out['Dice.b'] == pytest.approx(round(4 / 6 * 100, 2))
    assert out['Dice.structures'] == pytest.approx(100.0)
    assert out['IoU.structures'] == pytest.approx(100.0)
    assert out['Dice3D.structures'] == pytest.approx(100.0)


def test_class_groups_with_a_partial_miss_and_two_volumes(tmp_path):
    # Volume u: group gt 4 px, pred covers 2 -> Dice 2*2/(4+2) = 66.67.
    # Volume w: group absent from both -> left out of the 3-D mean.
    gt_u = [[1, 2, 2, 1], [0, 0, 0, 0]]
    pr_u = [[1, 1, 0, 0], [0, 0, 0, 0]]
    empty = [[0, 0, 0, 0], [0, 0, 0, 0]]
    per_image = tmp_path / 'per_image.json'
    metric = PerClassIoUMetric(
        iou_metrics=['mIoU', 'mDice'], class_groups={'fg': ['a', 'b']},
        per_image_file=str(per_image))
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    metric.process({}, [_sample(pr_u, gt_u, 'u.nii.gz')])
    metric.process({}, [_sample(empty, empty, 'w.nii.gz')])
    out = metric.evaluate(2)
    recs = json.loads(per_image.read_text())
    assert recs[0]['Dice.fg'] == pytest.approx(4 / 6 * 100)
    assert recs[1]['Dice.fg'] is None  # absent in both: undefined
    assert 'groups' not in recs[0]
    assert out['Dice.fg'] == pytest.approx(round(4 / 6 * 100, 2))
    assert out['IoU.fg'] == pytest.approx(50.0)
    assert out['Dice3D.fg'] == pytest.approx(round(4 / 6 * 100, 2))


@pytest.mark.parametrize('groups, match', [
    ({'fg': ['a', 'nope']}, r"names \['nope'\].*classes are"),
    ({'a': ['a', 'b']}, 'also a class name'),
])
def test_class_groups_refuse_unknown_or_clashing_names(groups, match):
    metric = PerClassIoUMetric(class_groups=groups)
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    with pytest.raises(ValueError, match=match):
        metric.process({}, [_sample([[0]], [[0]], 'x.png')])
