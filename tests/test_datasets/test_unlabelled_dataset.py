import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(REPO_ROOT, 'configs/_base_/datasets/knee-us_2view-224.py')


@pytest.fixture(autouse=True)
def _scope():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


def test_build_from_config_multiview(knee_root):
    cfg = Config.fromfile(CFG)
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root = str(knee_root)
    ds = DATASETS.build(ds_cfg)
    assert len(ds) == 40
    assert all('/img_dir/train/' in d['img_path'] for d in ds.load_data_list())
    batch = default_collate([ds[0], ds[1]])
    views = batch['inputs']
    assert len(views) == 2 and tuple(views[0].shape) == (2, 3, 224, 224)
    assert not (views[0] == views[1]).all()  # two different views


def test_roots_repeats_and_exclude(knee_root, tmp_path):
    ds = DATASETS.build(dict(
        type='UnlabelledImageDataset', data_root=str(knee_root),
        roots=['img_dir/train', 'img_dir/val'], repeats=[1, 3]))
    assert len(ds) == 40 + 3 * 6
    # a root that contains val/test: both are excluded by folder
    ds = DATASETS.build(dict(
        type='UnlabelledImageDataset', data_root=str(knee_root),
        roots='img_dir', exclude=['img_dir/val', 'img_dir/test']))
    paths = [d['img_path'] for d in ds.load_data_list()]
    assert len(paths) == 40 and not any('/val/' in p or '/test/' in p
                                         for p in paths)
    # a split file excludes by stem
    split = tmp_path / 'heldout.txt'
    split.write_text('knee_train_00000\nknee_train_00001\n')
    ds = DATASETS.build(dict(
        type='UnlabelledImageDataset', data_root=str(knee_root),
        roots='img_dir/train', exclude=[str(split)]))
    assert len(ds) == 38


def test_errors_name_the_root(knee_root, tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=str(empty)):
        DATASETS.build(dict(type='UnlabelledImageDataset', roots=str(empty)))
    with pytest.raises(FileNotFoundError, match='nowhere'):
        DATASETS.build(dict(type='UnlabelledImageDataset',
                            roots=str(tmp_path / 'nowhere')))
    with pytest.raises(FileNotFoundError, match='gone'):
        DATASETS.build(dict(type='UnlabelledImageDataset',
                            roots=str(knee_root / 'img_dir/train'),
                            exclude=[str(tmp_path / 'gone')]))
    with pytest.raises(ValueError, match='repeats'):
        DATASETS.build(dict(type='UnlabelledImageDataset',
                            roots=str(knee_root), repeats=[1, 2]))
