"""nnU-Net 2D baseline row: our layout -> nnU-Net -> our metrics.

The scoring and argument checks run everywhere. The end-to-end test needs
the optional extra (``pip install '.[nnunet]'``) and is skipped without it;
it trains nnU-Net for 1 epoch of 2 iterations (a trainer in
``nnunet_trainers/``, found through ``nnUNet_extTrainer``) on 32 px images.
"""
import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from ussl_mm.baselines import nnunet as nn_row
from ussl_mm.baselines import score_predictions

TRAINER_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'nnunet_trainers')
CLASSES = ('background', 'effusion')
CLI = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
               'tools', 'nnunet', 'run_nnunet_row.py')


def _infos(root, split='test'):
    names = sorted(
        n for n in __import__('os').listdir(osp.join(root, 'img_dir', split)))
    return [
        dict(case=f'{split}_{n[:-4]}',
             info=dict(img_path=osp.join(root, 'img_dir', split, n),
                       seg_map_path=osp.join(root, 'ann_dir', split, n),
                       num_classes=2, label_map=None, reduce_zero_label=False,
                       seg_fields=[])) for n in names
    ]


def _iou(pred, gt, c):
    inter = np.logical_and(pred == c, gt == c).sum()
    union = np.logical_or(pred == c, gt == c).sum()
    return 100.0 * inter / union


@pytest.fixture(scope='module')
def tiny_root(knee_us_data):
    return str(knee_us_data(num_train=8, num_val=2, num_test=2, size=32,
                            fractions=(50, 100)))


def test_score_predictions_equals_hand_computed_iou(tiny_root, tmp_path):
    cases = _infos(tiny_root)
    pred_dir = tmp_path / 'pred'
    pred_dir.mkdir()
    gts, preds = [], []
    for i, item in enumerate(cases):
        gt = cv2.imread(item['info']['seg_map_path'], cv2.IMREAD_UNCHANGED)
        pred = gt.copy()
        pred[:, :8 * (i + 1)] = 1 - pred[:, :8 * (i + 1)]  # corrupt a band
        cv2.imwrite(str(pred_dir / f'{item["case"]}.png'), pred)
        gts.append(gt)
        preds.append(pred)
    out = score_predictions(str(pred_dir), cases, CLASSES,
                            per_image_file=str(tmp_path / 'per_image.json'))
    all_gt, all_pred = np.concatenate(gts), np.concatenate(preds)
    for c, name in enumerate(CLASSES):
        assert out['metrics'][f'IoU.{name}'] == pytest.approx(
            _iou(all_pred, all_gt, c), abs=0.01)
    assert out['metrics']['mIoU'] == pytest.approx(
        np.mean([_iou(all_pred, all_gt, c) for c in (0, 1)]), abs=0.01)
    # per-image records pair with the OpenMMLab rows by our img_path
    assert [r['img_path'] for r in out['per_image']] == [
        c['info']['img_path'] for c in cases]
    for rec, gt, pred in zip(out['per_image'], gts, preds):
        assert rec['IoU.effusion'] == pytest.approx(_iou(pred, gt, 1))
    with open(tmp_path / 'per_image.json') as f:
        assert json.load(f) == out['per_image']


def test_score_predictions_errors_name_the_file(tiny_root, tmp_path):
    cases = _infos(tiny_root)
    with pytest.raises(FileNotFoundError, match=cases[0]['case']):
        score_predictions(str(tmp_path), cases, CLASSES)
    for item in cases:
        gt = cv2.imread(item['info']['seg_map_path'], cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(tmp_path / f'{item["case"]}.png'), gt * 3)
    with pytest.raises(ValueError, match=r'labels \[3\] outside'):
        score_predictions(str(tmp_path), cases, CLASSES)
    with pytest.raises(ValueError, match='must contain a PerClassIoUMetric'):
        score_predictions(str(tmp_path), cases, CLASSES,
                          evaluator=dict(type='IoUMetric'))


def test_missing_extra_and_reused_work_dir_are_refused(tiny_root, tmp_path,
                                                       monkeypatch):
    monkeypatch.setattr(nn_row, 'nnunet_available', lambda: False)
    with pytest.raises(ImportError, match=r"pip install '\.\[nnunet\]'"):
        nn_row.run_nnunet_row(tiny_root, str(tmp_path / 'a'))
    monkeypatch.setattr(nn_row, 'nnunet_available', lambda: True)
    work = tmp_path / 'b'
    work.mkdir()
    (work / 'row_spec.json').write_text(json.dumps(dict(seed=1)))
    with pytest.raises(ValueError, match='holds an nnU-Net row made with '
                       'other arguments'):
        nn_row.run_nnunet_row(tiny_root, str(work), label_fraction=50)


def test_nnunet_row_end_to_end(tiny_root, tmp_path):
    pytest.importorskip(
        'nnunetv2',
        reason="nnunetv2 is the optional extra (pip install '.[nnunet]'); "
        'CI installs requirements/*.txt only')
    work = str(tmp_path / 'row')
    res = nn_row.run_nnunet_row(
        tiny_root, work, label_fraction=50, seed=0,
        trainer='nnUNetTrainer_usslSmoke', trainer_dir=TRAINER_DIR)

    # the nnU-Net data set: train fraction + val in imagesTr, one fold
    assert res['num_cases'] == dict(train=4, val=2, test=2)
    with open(osp.join(tiny_root, 'splits', 'train_50pct.txt')) as f:
        fraction = sorted(f'train_{ln.strip()}' for ln in f if ln.strip())
    name = 'Dataset001_' + osp.basename(tiny_root)
    with open(osp.join(work, 'nnUNet_preprocessed', name,
                       'splits_final.json')) as f:
        splits = json.load(f)
    assert len(splits) == 1
    assert sorted(splits[0]['train']) == fraction
    assert sorted(splits[0]['val']) == ['val_knee_val_00000',
                                        'val_knee_val_00001']
    with open(osp.join(work, 'nnUNet_raw', name, 'dataset.json')) as f:
        ds = json.load(f)
    assert ds['channel_names'] == {'0': 'gray'}
    assert ds['labels'] == {'background': 0, 'effusion': 1}
    assert ds['numTraining'] == 6

    # nnU-Net really trained the requested schedule
    assert res['nnunet']['num_epochs'] == 1
    assert res['nnunet']['iterations_per_epoch'] == 2
    assert osp.isfile(osp.join(res['nnunet']['output_dir'],
                               'checkpoint_final.pth'))
    assert set(res['seconds']) == {'plan_and_preprocess', 'train', 'predict'}

    # scored with our metrics, on nnU-Net's predictions at native size
    cases = _infos(tiny_root)
    gts = [cv2.imread(c['info']['seg_map_path'], cv2.IMREAD_UNCHANGED)
           for c in cases]
    preds = [cv2.imread(osp.join(work, 'predictions_test',
                                 f'{c["case"]}.png'), cv2.IMREAD_UNCHANGED)
             for c in cases]
    assert all(p.shape == g.shape for p, g in zip(preds, gts))
    all_gt, all_pred = np.concatenate(gts), np.concatenate(preds)
    assert res['metrics']['IoU.background'] == pytest.approx(
        _iou(all_pred, all_gt, 0), abs=0.01)
    assert 0.0 <= res['metrics']['mIoU'] <= 100.0
    assert [r['img_path'] for r in res['per_image']] == [
        c['info']['img_path'] for c in cases]
    assert osp.isfile(osp.join(work, 'per_image.json'))
    with open(osp.join(work, 'metrics.json')) as f:
        assert json.load(f)['metrics'] == res['metrics']

    # the CLI on the same row finds every stage done and rescores it
    # (plus ClinicalMetric with --clinical)
    spec = importlib.util.spec_from_file_location(
        'run_nnunet_row_cli', CLI)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    cli.main([
        '--data-root', tiny_root, '--work-dir', work, '--label-fraction',
        '50', '--trainer', 'nnUNetTrainer_usslSmoke', '--trainer-dir',
        TRAINER_DIR, '--clinical'
    ])
    with open(osp.join(work, 'metrics.json')) as f:
        again = json.load(f)
    assert again['seconds'] == {}
    for k, v in res['metrics'].items():
        assert again['metrics'][k] == v, k
    assert any(k.startswith('clinical/') for k in again['metrics'])
    assert osp.isfile(osp.join(work, 'clinical.json'))
