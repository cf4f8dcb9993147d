"""Dataset statistics (INTERFACES D): values checked against direct numpy
computations, the written config, and the warnings for a point-of-care set
(dark RGB frames with coloured overlays) normalised with the synthetic
set's mean/std."""
import importlib.util
import json
import os.path as osp
import re
import shutil

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from ussl_mm.apis import load_cfg, merge_data_preprocessor
from ussl_mm.datasets.stats import (compare_normalisation,
                                    compute_dataset_stats, write_stats_config)
from ussl_mm.datasets.validation import DataValidationError

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEG_CFG = osp.join(REPO_ROOT, 'configs/_base_/datasets/knee-us_seg-256.py')
# A full config with the same (top-level) preprocessor, to apply the hint.
SEG_FT_CFG = osp.join(REPO_ROOT,
                      'configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py')


def _tool():
    path = osp.join(REPO_ROOT, 'tools/analysis_tools/dataset_stats.py')
    spec = importlib.util.spec_from_file_location('dataset_stats', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_stats_match_a_direct_computation(knee_root):
    s = compute_dataset_stats(str(knee_root))
    imgs = sorted((knee_root / 'img_dir' / 'train').iterdir())
    px = np.concatenate([cv2.imread(str(p), 0).ravel() for p in imgs])
    assert s['mean'] == pytest.approx(px.mean(), abs=0.006)
    assert s['std'] == pytest.approx(px.std(), abs=0.006)
    assert s['mean_split'] == 'train' and s['num_pixels'] == px.size
    assert s['num_classes'] == 2
    for split, n in (('train', 40), ('val', 6), ('test', 6)):
        e = s['splits'][split]
        masks = [cv2.imread(str(p), 0) for p in sorted(
            (knee_root / 'ann_dir' / split).iterdir())]
        assert e['num_images'] == e['num_masks'] == n
        assert e['sizes'] == {'64x64': n}
        fg = sum(int((m == 1).sum()) for m in masks)
        total = sum(m.size for m in masks)
        assert e['class_pixels'] == [total - fg, fg]
        assert e['class_pixel_frequency'][1] == pytest.approx(fg / total,
                                                              abs=1e-6)
        assert e['num_with_foreground'] == sum(bool(m.any()) for m in masks)
    assert compare_normalisation(s, [s['mean']] * 3, [s['std']] * 3) == []


def test_0_255_masks_refused_or_mapped(knee_root, tmp_path):
    root = tmp_path / 'k'
    shutil.copytree(knee_root, root)
    ref = compute_dataset_stats(str(root))
    for split in ('train', 'val', 'test'):
        for m in (root / 'ann_dir' / split).iterdir():
            cv2.imwrite(str(m), cv2.imread(str(m), 0) * 255)
    with pytest.raises(DataValidationError, match='mask_values'):
        compute_dataset_stats(str(root))
    mapped = compute_dataset_stats(str(root), mask_values={0: 0, 255: 1})
    assert mapped['splits'] == ref['splits']


def _point_of_care_root(root, n=4):
    """Dark RGB frames (mean gray ~22) with a red Doppler-like box and a
    yellow label: what a phone capture of a point-of-care screen gives."""
    rng = np.random.default_rng(0)
    for split in ('train', 'val'):
        (root / 'img_dir' / split).mkdir(parents=True)
        (root / 'ann_dir' / split).mkdir(parents=True)
        for i in range(n):
            g = np.clip(rng.gamma(1.2, 16, (48, 64)), 0, 255).astype(np.uint8)
            img = np.repeat(g[..., None], 3, axis=2)
            img[10:20, 30:40] = (0, 0, 200)     # red box (BGR)
            img[2:5, 2:14] = (0, 255, 255)      # yellow label
            cv2.imwrite(str(root / 'img_dir' / split / f'p{i}.png'), img)
            m = np.zeros((48, 64), np.uint8)
            m[30:40, 10:30] = 1 if i % 2 == 0 else 0
            cv2.imwrite(str(root / 'ann_dir' / split / f'p{i}.png'), m)


def test_point_of_care_set_warns_and_writes_an_inheritable_config(
        tmp_path, capsys):
    root = tmp_path / 'poc'
    _point_of_care_root(root)
    out = tmp_path / 'cfgs' / 'my_stats.py'
    assert _tool().main([str(root), '--out', str(out), '--config',
                         SEG_CFG]) == 0
    said = capsys.readouterr().out
    s = compute_dataset_stats(str(root))
    assert 15 < s['mean'] < 40  # gray as the model sees it, not 114
    assert 'WARNING: The data' in said and '114.18 / 79.95' in said
    # The printed override reaches the model (ussl_mm's configs keep the
    # preprocessor at top level; model.data_preprocessor.mean= would not).
    hint = re.search(r'--cfg-options (\S+)="(\[[^]]*\])" (\S+)="(\[[^]]*\])"',
                     said)
    assert hint and hint.group(1) == 'data_preprocessor.mean', said
    opts = {hint.group(1): json.loads(hint.group(2)),
            hint.group(3): json.loads(hint.group(4))}
    cfg = merge_data_preprocessor(load_cfg(SEG_FT_CFG, opts))
    assert cfg.model.data_preprocessor.mean == [round(s['mean'], 2)] * 3
    assert cfg.model.data_preprocessor.std == [round(s['std'], 2)] * 3
    assert 'WARNING: train: 4 of 4 images are colour' in said
    e = s['splits']['train']
    assert e['overlay_pixel_fraction'] == pytest.approx(
        (100 + 36) / (48 * 64), abs=1e-6)
    assert e['foreground_prevalence'] == 0.5
    # the written file is a config; its variables serve a child config
    cfg = Config.fromfile(str(out))
    assert cfg.mean == [s['mean']] * 3 and cfg.std == [s['std']] * 3
    assert cfg.num_classes == 2
    assert cfg.data_root == str(root) + '/'
    assert cfg.foreground_prevalence['train'] == 0.5
    assert cfg.image_sizes['val'] == {'48x64': 4}
    child = out.parent / 'child.py'
    child.write_text("_base_ = ['./my_stats.py']\n"
                     'data_preprocessor = dict(type="SegDataPreProcessor", '
                     'mean={{_base_.mean}}, std={{_base_.std}})\n')
    assert Config.fromfile(str(child)).data_preprocessor.mean == cfg.mean
    # the gray mean is the luminance of the colour frames (LoadUSImage)
    px = np.concatenate([cv2.cvtColor(cv2.imread(str(p)),
                                      cv2.COLOR_BGR2GRAY).ravel()
                         for p in sorted((root / 'img_dir/train').iterdir())])
    assert s['mean'] == pytest.approx(px.mean(), abs=0.006)


def test_compare_normalisation_thresholds():
    s = dict(mean=100.0, std=50.0, data_root='x', mean_split='train')
    assert compare_normalisation(s, [100] * 3, [50] * 3) == []
    assert compare_normalisation(s, [120] * 3, [60] * 3) == []  # 0.33 sd
    assert compare_normalisation(s, [130] * 3, [50] * 3)        # 0.6 sd
    assert compare_normalisation(s, [100] * 3, [80] * 3)        # ratio 0.6
    with pytest.raises(FileNotFoundError, match='does not exist'):
        compute_dataset_stats('/no/such/root')


def test_writer_without_masks(tmp_path):
    root = tmp_path / 'u'
    (root / 'img_dir' / 'train').mkdir(parents=True)
    img = np.full((8, 8), 6, np.uint8)
    img[::2] = 8  # mean 7, std 1
    cv2.imwrite(str(root / 'img_dir' / 'train' / 'a.png'), img)
    s = compute_dataset_stats(str(root))
    assert s['mean'] == 7 and s['std'] == 1
    assert s['missing_splits'] == ['val', 'test']
    assert 'class_pixels' not in s['splits']['train']
    cfg = Config.fromfile(write_stats_config(s, str(tmp_path / 'w.py')))
    assert cfg.mean == [7.0] * 3 and cfg.class_pixel_frequency == {}


@pytest.mark.parametrize('value', [0, 7])
def test_blank_or_constant_images_are_refused(tmp_path, value, capsys):
    """An all-black (or constant) export has std 0: dividing by it gives
    nan losses, so the statistics refuse it and say what to check; the
    tool exits 1 and writes no config."""
    root = tmp_path / 'u'
    (root / 'img_dir' / 'train').mkdir(parents=True)
    for i in range(3):
        cv2.imwrite(str(root / 'img_dir' / 'train' / f'{i}.png'),
                    np.full((8, 8), value, np.uint8))
    with pytest.raises(DataValidationError) as err:
        compute_dataset_stats(str(root))
    msg = str(err.value)
    assert str(root / 'img_dir' / 'train') in msg
    assert 'std 0.0' in msg and 'blank or constant' in msg
    assert 'Check the export' in msg
    out = tmp_path / 'stats.py'
    assert _tool().main([str(root), '--out', str(out)]) == 1
    assert 'blank or constant' in capsys.readouterr().err
    assert not out.exists()
