"""The study's data statistics read the files and labels the runs read."""
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from tiny_study import FCN_SCRATCH, REPO

from ussl_mm.datasets.validation import DataValidationError
from ussl_mm.study import LabelEfficiencyStudy, StudySpec
from ussl_mm.study.data import study_data_stats


def _root_with_0_255_masks(root):
    """4 train images whose masks are exported as 0/255 (a third each)."""
    rng = np.random.default_rng(0)
    for split in ('train', 'val', 'test'):
        for sub in ('img_dir', 'ann_dir'):
            (root / sub / split).mkdir(parents=True)
        for i in range(4):
            img = rng.integers(0, 256, (32, 32), dtype=np.uint8)
            mask = np.zeros((32, 32), np.uint8)
            mask[:, :11] = 255
            cv2.imwrite(str(root / 'img_dir' / split / f'{i}.png'), img)
            cv2.imwrite(str(root / 'ann_dir' / split / f'{i}.png'), mask)
    return root


def test_mask_values_of_the_dataset_reach_the_statistics(tmp_path):
    root = str(_root_with_0_255_masks(tmp_path / 'data'))
    # Without the dataset's mask_values, 0/255 masks are refused (255 is the
    # ignore index: no foreground at all), every file listed.
    with pytest.raises(DataValidationError,
                       match=r'(?s)0/255 mask.*mask_values=\{0: 0, 255: 1\}'
                       r'.*ann_dir/train/0\.png'):
        study_data_stats(
            SimpleNamespace(work_dir=str(tmp_path / 'w1'), data_root=root),
            log=lambda *_: None)
    mapped = study_data_stats(
        SimpleNamespace(work_dir=str(tmp_path / 'w2'), data_root=root),
        log=lambda *_: None,
        dataset_cfg=dict(type='KneeUSDataset', mask_values={0: 0, 255: 1}))
    train = mapped['splits']['train']
    assert train['ignore_pixels'] == 0
    assert train['class_pixels'] == [4 * 32 * 21, 4 * 32 * 11]  # per class
    assert train['num_with_foreground'] == 4
    assert 0 < mapped['mean'] < 255 and mapped['std'] > 0


def test_the_study_passes_its_first_rows_dataset(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    root = str(_root_with_0_255_masks(tmp_path / 'data'))
    spec = StudySpec.from_dict(
        dict(name='t', work_dir=str(tmp_path / 'w'), data_root=root,
             data_stats=True,
             initialisations=dict(scratch=dict(
                 config=FCN_SCRATCH,
                 cfg_options={
                     'train_dataloader.dataset.mask_values': {0: 0, 255: 1}
                 })),
             label_fractions=[100], seeds=[0], baseline='scratch',
             best_supervised='scratch'))
    stats = LabelEfficiencyStudy(spec, log=lambda *_: None).data_stats()
    assert stats['splits']['train']['num_with_foreground'] == 4
    assert osp.isfile(tmp_path / 'w' / 'dataset_stats.json')
