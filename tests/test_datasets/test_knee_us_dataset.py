"""KneeUSDataset / USSegDataset built from the base config, and every
bad-input case of issue 3 raising an error that names the file."""
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(autouse=True)
def _mmseg_scope():
    # fine-tuning configs run under default_scope='mmseg'
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


SEG_CFG = osp.join(REPO_ROOT, 'configs/_base_/datasets/knee-us_seg-256.py')


def _cfg(root, split='train', **over):
    cfg = Config.fromfile(SEG_CFG)
    ds = cfg[f'{split}_dataloader'].dataset
    ds.data_root = str(root)
    ds.update(over)
    return ds


def test_build_from_config_and_label_fraction(knee_root):
    full = DATASETS.build(_cfg(knee_root))
    assert len(full) == 40
    assert full.metainfo['classes'] == ('background', 'effusion')
    five = DATASETS.build(_cfg(knee_root, label_fraction=5))
    names = (knee_root / 'splits/train_5pct.txt').read_text().split()
    assert len(five) == len(names) == 2
    assert sorted(osp.basename(d['img_path'])[:-4]
                  for d in five.load_data_list()) == sorted(names)
    sample = five[0]
    x = sample['inputs']
    seg = sample['data_samples'].gt_sem_seg.data
    # The 64 px images are rescaled by 0.5-2x at their native scale, then
    # cropped to at most the GPU-scale 256 px: image and mask stay aligned.
    assert x.shape[0] == 3 and tuple(x.shape[1:]) == tuple(seg.shape[-2:])
    assert 32 <= x.shape[1] <= 128 and 32 <= x.shape[2] <= 128
    assert set(np.unique(seg.numpy())) <= {0, 1, 255}
    val = DATASETS.build(_cfg(knee_root, 'val'))
    v = val[0]
    # Tested at the native scale: neither image nor mask is resized.
    assert tuple(v['inputs'].shape) == (3, 64, 64)
    assert tuple(v['data_samples'].gt_sem_seg.data.shape[-2:]) == (64, 64)
    with pytest.raises(ValueError, match='not both'):
        DATASETS.build(_cfg(knee_root, label_fraction=5,
                            ann_file='splits/train_5pct.txt'))


def test_generic_us_dataset_needs_classes(knee_root):
    cfg = _cfg(knee_root, type='USSegDataset')
    with pytest.raises(ValueError, match='metainfo'):
        DATASETS.build(cfg)
    cfg = _cfg(knee_root, type='USSegDataset',
               metainfo=dict(classes=('bg', 'a', 'b'),
                             palette=[[0, 0, 0], [1, 1, 1], [2, 2, 2]]))
    ds = DATASETS.build(cfg)
    assert len(ds) == 40 and ds[0]['inputs'].shape[0] == 3
    assert ds.load_data_list()[0]['num_classes'] == 3


@pytest.fixture
def copy_root(knee_root, tmp_path):
    root = tmp_path / 'k'
    shutil.copytree(knee_root, root)
    return root


def _first(root, sub='img_dir'):
    return root / sub / 'train' / 'knee_train_00000.png'


def _load(root, **over):
    ds = DATASETS.build(_cfg(root, **over))
    return ds[0]


def test_corrupt_image(copy_root):
    _first(copy_root).write_bytes(b'\x89PNG not really')
    with pytest.raises(ValueError, match=str(_first(copy_root))):
        _load(copy_root)


def test_missing_mask(copy_root):
    m = _first(copy_root, 'ann_dir')
    m.unlink()
    with pytest.raises(FileNotFoundError, match=str(m)):
        DATASETS.build(_cfg(copy_root))


def test_mask_size_mismatch(copy_root):
    m = _first(copy_root, 'ann_dir')
    cv2.imwrite(str(m), np.zeros((32, 48), np.uint8))
    with pytest.raises(ValueError, match=str(m)) as e:
        _load(copy_root)
    assert '32x48' in str(e.value) and '64x64' in str(e.value)


def test_mask_values_outside_classes(copy_root):
    m = _first(copy_root, 'ann_dir')
    cv2.imwrite(str(m), np.full((64, 64), 2, np.uint8))
    with pytest.raises(ValueError, match=str(m)) as e:
        _load(copy_root)
    assert '[2]' in str(e.value)


def test_empty_root(tmp_path):
    for s in ('img_dir/train', 'ann_dir/train'):
        (tmp_path / s).mkdir(parents=True)
    with pytest.raises(FileNotFoundError,
                       match=str(tmp_path / 'img_dir' / 'train')):
        DATASETS.build(_cfg(tmp_path))


def test_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / 'img_dir')):
        DATASETS.build(_cfg(tmp_path))


def test_empty_split_file(copy_root):
    f = copy_root / 'splits' / 'train_5pct.txt'
    f.write_text('\n')
    with pytest.raises(ValueError, match=str(f)):
        DATASETS.build(_cfg(copy_root, label_fraction=5))


def test_missing_split_file(copy_root):
    f = copy_root / 'splits' / 'train_7pct.txt'
    with pytest.raises(FileNotFoundError, match=str(f)) as e:
        DATASETS.build(_cfg(copy_root, label_fraction=7))
    assert 'make_label_fraction_splits' in str(e.value)


def test_split_names_missing_image(copy_root):
    f = copy_root / 'splits' / 'mine.txt'
    f.write_text('knee_train_00001\nno_such_image\n')
    with pytest.raises(FileNotFoundError, match=str(f)) as e:
        DATASETS.build(_cfg(copy_root, ann_file='splits/mine.txt'))
    assert 'no_such_image' in str(e.value)


def test_16bit_png(copy_root):
    img = _first(copy_root)
    g = cv2.imread(str(img), 0).astype(np.uint16) * 257
    cv2.imwrite(str(img), g)
    with pytest.raises(ValueError, match=str(img)) as e:
        _load(copy_root)
    assert "convert_16bit='minmax'" in str(e.value)
    # explicit conversion works and is exact for 'shift'
    from ussl_mm.datasets.transforms import LoadUSImage
    out = LoadUSImage(convert_16bit='shift')(dict(img_path=str(img)))
    assert out['img'].dtype == np.uint8 and out['img'].shape == (64, 64, 3)
    np.testing.assert_array_equal(out['img'][..., 0], g >> 8)
    out = LoadUSImage(convert_16bit='minmax')(dict(img_path=str(img)))
    assert out['img'].min() == 0 and out['img'].max() == 255
