"""NIfTI slice datasets built from tiny volumes written on the fly."""
import os
import os.path as osp

import nibabel as nib
import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
AFFINE = np.diag([0.5, 0.5, 2.0, 1.0])


def _write(path, arr, affine=AFFINE):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    nib.save(nib.Nifti1Image(arr, affine), path)


@pytest.fixture
def nifti_root(tmp_path):
    """Four 12x10x6 volumes; foreground only in slices 2-3 (axis 2)."""
    rng = np.random.default_rng(0)
    for i in range(4):
        vol = (rng.normal(0, 1, (12, 10, 6)) * (i + 1) * 30 + 200 * i)
        mask = np.zeros((12, 10, 6), np.uint8)
        mask[3:7, 2:6, 2:4] = 1
        _write(str(tmp_path / 'img_dir/train' / f'v{i}.nii.gz'),
               vol.astype(np.float32))
        _write(str(tmp_path / 'ann_dir/train' / f'v{i}.nii.gz'), mask)
    return tmp_path


def build(**kw):
    kw.setdefault('pipeline', [])
    with DefaultScope.overwrite_default_scope('mmseg'):
        return DATASETS.build(kw)


@pytest.mark.parametrize('axis,n', [(0, 12), (1, 10), (2, 6)])
def test_slices_along_axis_and_mri_zscore(nifti_root, axis, n):
    ds = build(type='NiftiMRIDataset', data_root=str(nifti_root),
               slice_axis=axis)
    assert len(ds) == 4 * n
    item = ds[0]
    other = [s for s in (12, 10, 6) if s != (12, 10, 6)[axis]]
    assert item['img'].shape == (*other, 3)
    assert item['img'].dtype == np.float32
    assert item['gt_seg_map'].shape == tuple(other)
    assert item['seg_fields'] == ['gt_seg_map']
    # Per-volume z-score: over all slices of one volume, mean 0, std 1,
    # identical channels.
    vol = np.stack([ds[i]['img'] for i in range(n)])
    assert ds[0]['volume_id'] == ds[n - 1]['volume_id']
    assert abs(vol.mean()) < 1e-4 and abs(vol.std() - 1) < 1e-3
    np.testing.assert_array_equal(vol[..., 0], vol[..., 2])


def test_ct_windows(tmp_path):
    vol = np.full((8, 8, 2), -1000.0, np.float32)
    vol[2:6, 2:6] = 60.0
    vol[0, 0] = 1500.0
    _write(str(tmp_path / 'img_dir/train/ct.nii.gz'), vol)
    ds = build(type='NiftiCTDataset', data_root=str(tmp_path),
               data_prefix=dict(img_path='img_dir/train'))
    img = np.stack([ds[i]['img'] for i in range(len(ds))])
    assert img.shape == (2, 8, 8, 3)
    # each channel z-scored over the volume
    np.testing.assert_allclose(img.mean((0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(img.std((0, 1, 2)), 1, atol=1e-4)
    # Default windows, and channel 0 is the soft-tissue window [-150, 250].
    raw = ds.windows
    assert raw[0] == (400.0, 50.0) and raw[1] == (1800.0, 40.0) \
        and raw[2] == (500.0, 50.0)
    soft = np.clip(vol, -150, 250)
    expect = (soft - soft.mean()) / soft.std()
    np.testing.assert_allclose(img[..., 0],
                               np.moveaxis(expect, 2, 0), atol=1e-4)
    assert not np.allclose(img[..., 0], img[..., 1])


def test_unlabelled_set_has_no_masks(nifti_root):
    ds = build(type='NiftiMRIDataset', data_root=str(nifti_root),
               data_prefix=dict(img_path='img_dir/train'))
    assert 'gt_seg_map' not in ds[0] and len(ds) == 24


def test_skip_empty_slices_train_only(nifti_root):
    ds = build(type='NiftiMRIDataset', data_root=str(nifti_root),
               skip_empty_slices=True)
    assert len(ds) == 4 * 2
    assert all(ds[i]['gt_seg_map'].any() for i in range(len(ds)))
    with pytest.raises(ValueError, match='test_mode'):
        build(type='NiftiMRIDataset', data_root=str(nifti_root),
              skip_empty_slices=True, test_mode=True)


def test_label_fraction_selects_whole_volumes(nifti_root):
    from ussl_mm.datasets.splits import (nested_fraction_splits,
                                         write_fraction_splits)
    ids = [f'v{i}' for i in range(4)]
    splits = nested_fraction_splits(ids, [True] * 4, (25, 50, 100), seed=0)
    write_fraction_splits(str(nifti_root / 'splits'), splits)
    ds25 = build(type='NiftiMRIDataset', data_root=str(nifti_root),
                 label_fraction=25)
    ds50 = build(type='NiftiMRIDataset', data_root=str(nifti_root),
                 label_fraction=50)
    assert list(ds25.volume_ids) == splits[25]
    assert set(ds25.volume_ids) <= set(ds50.volume_ids)
    # every slice of a selected volume, none of the others
    assert len(ds25) == 6 and len(ds50) == 12
    assert {ds50[i]['volume_id'] for i in range(len(ds50))} == set(
        splits[50])
    with pytest.raises(FileNotFoundError, match='train_10pct.txt'):
        build(type='NiftiMRIDataset', data_root=str(nifti_root),
              label_fraction=10)


def test_bad_inputs_name_the_file(nifti_root):
    root = str(nifti_root)
    # mask with a different shape
    _write(f'{root}/ann_dir/train/v1.nii.gz', np.zeros((12, 10, 5), np.uint8))
    with pytest.raises(ValueError, match=r'v1\.nii\.gz.*shape'):
        build(type='NiftiMRIDataset', data_root=root)
    # mask with a different affine
    _write(f'{root}/ann_dir/train/v1.nii.gz', np.zeros((12, 10, 6), np.uint8),
           affine=np.diag([1.0, 1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match='affine'):
        build(type='NiftiMRIDataset', data_root=root)
    _write(f'{root}/ann_dir/train/v1.nii.gz', np.zeros((12, 10, 6), np.uint8))
    # 4-D volume
    _write(f'{root}/img_dir/train/v2.nii.gz',
           np.zeros((12, 10, 6, 2), np.float32))
    with pytest.raises(ValueError, match=r'v2\.nii\.gz.*3-D'):
        build(type='NiftiMRIDataset', data_root=root)
    # unreadable file
    with open(f'{root}/img_dir/train/v2.nii.gz', 'wb') as f:
        f.write(b'not a nifti file')
    with pytest.raises(ValueError, match=r'Cannot read .*v2\.nii\.gz'):
        build(type='NiftiMRIDataset', data_root=root)
    # missing mask
    os.remove(f'{root}/ann_dir/train/v3.nii.gz')
    os.remove(f'{root}/img_dir/train/v2.nii.gz')
    with pytest.raises(FileNotFoundError, match=r'v3\.nii\.gz'):
        build(type='NiftiMRIDataset', data_root=root)


def test_pipeline_feeds_pretraining_and_segmentation(nifti_root):
    from ussl_mm.datasets.transforms import ContextRestorationCorruption
    ds = build(type='NiftiMRIDataset', data_root=str(nifti_root),
               pipeline=[dict(type='Resize', scale=(16, 16), keep_ratio=False),
                         dict(type='PackSegInputs')])
    out = ds[0]
    assert out['inputs'].shape == (3, 16, 16)
    assert out['data_samples'].gt_sem_seg.data.shape == (1, 16, 16)
    # test mode: the image is resized, the mask keeps the native size.
    ds_test = build(type='NiftiMRIDataset', data_root=str(nifti_root),
                    test_mode=True,
                    pipeline=[dict(type='Resize', scale=(16, 16),
                                   keep_ratio=False),
                              dict(type='PackSegInputs')])
    out = ds_test[0]
    assert out['inputs'].shape == (3, 16, 16)
    assert out['data_samples'].gt_sem_seg.data.shape == (1, 12, 10)
    assert out['data_samples'].ori_shape == (12, 10)
    t = ContextRestorationCorruption(patch_size=4, num_precomputed=2)
    r = t(build(type='NiftiMRIDataset', data_root=str(nifti_root))[0])
    assert r['img'].dtype == np.float32 and r['gt_img'].shape == (12, 10, 3)


@pytest.mark.parametrize('mod,scale', [('mri', 128), ('ct', 128),
                                       ('mri', 256), ('ct', 256)])
def test_test_pipeline_packs_the_slice_position(nifti_root, mod, scale):
    """The NIfTI bases' val/test pipeline packs slice_idx and slice_axis
    (ClinicalMetric re-reads the raw slice with them) and keeps the slice
    unresized (native-resolution test)."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(
        REPO_ROOT, f'configs/_base_/datasets/nifti-{mod}_seg-{scale}.py'))
    ds_cfg = dict(cfg.test_dataloader.dataset, data_root=str(nifti_root),
                  data_prefix=dict(img_path='img_dir/train',
                                   seg_map_path='ann_dir/train'),
                  slice_axis=1)
    sample = build(**ds_cfg)[13]['data_samples']
    assert sample.slice_idx == 3 and sample.slice_axis == 1
    assert sample.img_shape == (12, 6) == sample.gt_sem_seg.shape
    assert cfg.data_preprocessor.test_cfg == dict(size_divisor=16)


def test_data_info_has_slice_axis_and_labels_are_checked(nifti_root):
    ds = build(type='NiftiMRIDataset', data_root=str(nifti_root),
               slice_axis=0)
    assert ds.get_data_info(5)['slice_axis'] == 0
    assert ds.get_data_info(5)['slice_idx'] == 5
    mask = np.zeros((12, 10, 6), np.uint8)
    mask[1, 1, 1], mask[2, 2, 2] = 3, 255
    _write(str(nifti_root / 'ann_dir/train/v1.nii.gz'), mask)
    with pytest.raises(ValueError, match=r'v1\.nii\.gz holds the values '
                       r'\[3\], but the dataset has 2 classes'):
        build(type='NiftiMRIDataset', data_root=str(nifti_root))
    ds = build(type='NiftiMRIDataset', data_root=str(nifti_root),
               metainfo=dict(classes=('bg', 'a', 'b', 'c')))
    assert ds.metainfo['classes'] == ('bg', 'a', 'b', 'c')
