"""A NIfTI fine-tuning run trained and tested the way tools/train.py and
tools/test.py --clinical (and the study) run it, with the stock NIfTI
U-Net CPU config: the val/test pipeline packs slice_idx/slice_axis, so
ClinicalMetric measures volumes in mL from the raw voxels, beside the
per-volume Dice3D of PerClassIoUMetric; slices are tested unresized."""
import json
import os
import os.path as osp

import nibabel as nib
import numpy as np
import pytest

from ussl_mm.apis import (build_test_runner, build_train_runner,
                          parse_test_args, parse_train_args, run_test)

pytestmark = pytest.mark.slow

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT,
                  'configs/unet/unet-tiny_1xb8-adam-500i_nifti-mri-128_cpu.py')
# 2 mm x 2 mm x 3 mm voxels: 0.012 mL each.
AFFINE = np.diag([2.0, 2.0, 3.0, 1.0])


@pytest.fixture
def nifti_root(tmp_path):
    """Two 20x28x4 volumes per split (slices 20x28, not a multiple of 16:
    the test pads and crops back); a bright box in slices 1-2."""
    rng = np.random.default_rng(0)
    for split in ('train', 'val', 'test'):
        for i in range(2):
            vol = rng.normal(100, 10, (20, 28, 4)).astype(np.float32)
            mask = np.zeros((20, 28, 4), np.uint8)
            mask[5:12, 8:20, 1:3] = 1
            vol[mask.astype(bool)] += 80
            for d, a in (('img_dir', vol), ('ann_dir', mask)):
                folder = osp.join(tmp_path, 'data', d, split)
                os.makedirs(folder, exist_ok=True)
                nib.save(nib.Nifti1Image(a, AFFINE),
                         osp.join(folder, f'v{i}.nii.gz'))
    return str(tmp_path / 'data')


def test_train_then_test_with_clinical_metric(nifti_root, tmp_path):
    common = ['--data-root', nifti_root, '--cfg-options',
              'train_dataloader.batch_size=2', 'train_cfg.max_iters=2',
              'train_cfg.val_interval=2',
              'default_hooks.checkpoint.interval=2',
              'default_hooks.logger.interval=1']
    work = str(tmp_path / 'work')
    runner = build_train_runner(
        parse_train_args([CONFIG, '--work-dir', work] + common))
    runner.train()
    ckpt = osp.join(work, 'iter_2.pth')
    assert osp.isfile(ckpt)
    test_dir = str(tmp_path / 'test')
    per_image = str(tmp_path / 'per_image.json')
    metrics = run_test(build_test_runner(parse_test_args(
        [CONFIG, ckpt, '--work-dir', test_dir, '--clinical'] + common +
        [f'test_evaluator.per_image_file={per_image}'])))
    # PerClassIoUMetric: slice-pooled and per-volume Dice, the guard keys
    for key in ('mIoU', 'mDice', 'mDice3D', 'Dice3D.foreground',
                'never_predicted.foreground'):
        assert key in metrics, sorted(metrics)
    # ClinicalMetric ran on the volumes: 2 cases with foreground
    assert metrics['clinical/size_n.foreground'] == 2
    with open(osp.join(test_dir, 'clinical_per_image.json')) as f:
        cases = json.load(f)
    assert len(cases) == 2
    for case in cases:
        assert case['num_slices'] == 4 and case['size_unit'] == 'mL'
        # ground truth: 7 * 12 * 2 voxels of 0.012 mL
        assert case['size_gt.foreground'] == pytest.approx(
            7 * 12 * 2 * 0.012)
        # raw intensity (before the per-volume z-score): ~180
        assert 160 < case['intensity_gt.foreground'] < 200
    # slices were scored at their native 20x28 size, one record each
    with open(per_image) as f:
        records = json.load(f)
    assert len(records) == 8
    assert sorted({r['slice_idx'] for r in records}) == [0, 1, 2, 3]
