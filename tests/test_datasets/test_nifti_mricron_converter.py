"""tools/dataset_converters/mricron_to_layout.py: the real-MRI example's
layout (train = volume + left-right mirror, val = test = volume), on a tiny
atlas-like volume (always) and on MRIcron's Colin27 + AAL when the Debian
package is installed."""
import json
import os.path as osp
import subprocess
import sys

import nibabel as nib
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = 'tools/dataset_converters/mricron_to_layout.py'
EXAMPLE = 'configs/unet/unet-tiny_1xb8-adam-2000i_mri-colin27-128_cpu.py'
TEMPLATES = '/usr/share/mricron/templates'
# RAS+, 1 mm, x = -4..+4 mm: the grid is centred on x = 0 like Colin27's.
AFFINE = np.array([[1., 0, 0, -4], [0, 1, 0, -3], [0, 0, 1, -2],
                   [0, 0, 0, 1]])


def _run(*args):
    return subprocess.run([sys.executable, TOOL, *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def atlas_pair(tmp_path):
    """9x7x5 T1-like volume; AAL-like labels: left caudate (71) at x = 1,
    right caudate (72) at x = 7, putamen 73/74, thalamus 77/78 (left side
    only, to see the mirror), and an unrelated label 5."""
    rng = np.random.default_rng(0)
    vol = rng.integers(0, 255, (9, 7, 5)).astype(np.uint8)
    atlas = np.zeros((9, 7, 5), np.uint8)
    atlas[1, 2, 1:4] = 71
    atlas[7, 2, 1:4] = 72
    atlas[2, 4, 2] = 73
    atlas[6, 4, 2] = 74
    atlas[3, 1, 3] = 77
    atlas[0, 0, 0] = 5
    img_path, atl_path = tmp_path / 't1.nii.gz', tmp_path / 'atlas.nii.gz'
    nib.save(nib.Nifti1Image(vol, AFFINE), str(img_path))
    nib.save(nib.Nifti1Image(atlas, AFFINE), str(atl_path))
    return vol, atlas, str(img_path), str(atl_path)


def _load(path):
    img = nib.load(str(path))
    return np.asarray(img.dataobj), img.affine


@pytest.mark.slow
def test_layout_classes_and_mirror(atlas_pair, tmp_path):
    vol, atlas, img_path, atl_path = atlas_pair
    out = tmp_path / 'layout'
    res = _run('--image', img_path, '--atlas', atl_path, '--out', str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    assert 'optimistic' in res.stdout
    expected = np.zeros_like(atlas)
    expected[np.isin(atlas, (71, 72))] = 1
    expected[np.isin(atlas, (73, 74))] = 2
    expected[np.isin(atlas, (77, 78))] = 3  # label 5 -> background
    for split in ('train', 'val', 'test'):
        data, aff = _load(out / 'img_dir' / split / 'colin27.nii.gz')
        np.testing.assert_array_equal(data, vol)
        np.testing.assert_allclose(aff, AFFINE)
        lab, _ = _load(out / 'ann_dir' / split / 'colin27.nii.gz')
        assert lab.dtype == np.uint8
        np.testing.assert_array_equal(lab, expected)
    # the mirror flips x (RAS: axis 0), keeps the affine, and the classes
    # stay anatomical: the mirrored left thalamus is still class 3
    mvol, maff = _load(out / 'img_dir/train/colin27_mirror.nii.gz')
    mlab, _ = _load(out / 'ann_dir/train/colin27_mirror.nii.gz')
    np.testing.assert_array_equal(mvol, vol[::-1])
    np.testing.assert_allclose(maff, AFFINE)
    np.testing.assert_array_equal(mlab, expected[::-1])
    assert mlab[8 - 3, 1, 3] == 3 and mlab[3, 1, 3] == 0
    assert not (out / 'img_dir/val/colin27_mirror.nii.gz').exists()
    # per-volume splits the dataset reads, and the class table
    assert (out / 'splits/train_100pct.txt').read_text().split() == [
        'colin27', 'colin27_mirror']
    man = json.loads((out / 'splits/manifest.json').read_text())
    assert man['unit'] == 'volume' and man['seed'] == 0
    info = json.loads((out / 'classes.json').read_text())
    assert info['classes'] == ['background', 'caudate', 'putamen',
                               'thalamus']
    assert info['voxels']['caudate'] == 6 and info['mirror_axis'] == 0


@pytest.mark.slow
def test_mirror_axis_follows_the_affine(atlas_pair, tmp_path):
    """Stored with the left-right axis second (PIR-like), the mirror flips
    axis 1."""
    vol, atlas, _, _ = atlas_pair
    perm = np.array([[0., 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0],
                     [0, 0, 0, 1]])
    aff = AFFINE @ perm
    v, a = np.swapaxes(vol, 0, 1), np.swapaxes(atlas, 0, 1)
    nib.save(nib.Nifti1Image(v, aff), str(tmp_path / 'v.nii.gz'))
    nib.save(nib.Nifti1Image(a, aff), str(tmp_path / 'a.nii.gz'))
    out = tmp_path / 'o'
    res = _run('--image', str(tmp_path / 'v.nii.gz'), '--atlas',
               str(tmp_path / 'a.nii.gz'), '--out', str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    mvol, _ = _load(out / 'img_dir/train/colin27_mirror.nii.gz')
    np.testing.assert_array_equal(mvol, v[:, ::-1])


@pytest.mark.slow
def test_errors_name_the_file_and_the_fix(atlas_pair, tmp_path):
    vol, atlas, img_path, _ = atlas_pair
    res = _run('--templates', str(tmp_path / 'nowhere'), '--out',
               str(tmp_path / 'o'))
    assert res.returncode != 0
    assert 'nowhere/ch2.nii.gz' in res.stderr
    assert 'apt-get install mricron-data' in res.stderr
    small = tmp_path / 'small.nii.gz'
    nib.save(nib.Nifti1Image(atlas[:5], AFFINE), str(small))
    res = _run('--image', img_path, '--atlas', str(small), '--out',
               str(tmp_path / 'o'))
    assert 'must share the voxel grid' in res.stderr
    empty = tmp_path / 'empty.nii.gz'
    nib.save(nib.Nifti1Image(np.zeros_like(atlas), AFFINE), str(empty))
    res = _run('--image', img_path, '--atlas', str(empty), '--out',
               str(tmp_path / 'o'))
    assert "Class 'caudate': none of the atlas labels [71, 72]" in res.stderr


@pytest.mark.skipif(
    not (osp.isfile(osp.join(TEMPLATES, 'ch2.nii.gz'))
         and osp.isfile(osp.join(TEMPLATES, 'aal.nii.gz'))),
    reason='MRIcron templates absent (Debian package mricron-data, '
    '`apt-get install mricron-data`); the tests never need apt')
def test_real_colin27_through_the_example_config(tmp_path):
    """The real files through the converter and the worked example's
    datasets: 39 axial slices hold the three nuclei, in both training
    volumes; training keeps all 2 x 181 slices and lists each of the 78
    with foreground 4 times (min_fg_slice_ratio=0.5: 362 + 3 * 78 = 596
    entries, 312 of them with foreground); val/test keep all 181 slices
    once; the 4 classes reach the dataset."""
    out = tmp_path / 'mri_colin27'
    res = _run('--out', str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    info = json.loads((out / 'classes.json').read_text())
    assert all(14000 < info['voxels'][c] < 19000
               for c in ('caudate', 'putamen', 'thalamus'))
    cfg = Config.fromfile(osp.join(REPO_ROOT, EXAMPLE))
    with DefaultScope.overwrite_default_scope('mmseg'):
        train = DATASETS.build(
            dict(cfg.train_dataloader.dataset, data_root=str(out)))
        test = DATASETS.build(
            dict(cfg.test_dataloader.dataset, data_root=str(out)))
    assert len(train) == 2 * 181 + 3 * 2 * 39 and len(test) == 181
    assert train.metainfo['classes'] == ('background', 'caudate', 'putamen',
                                         'thalamus')
    item = train[0]
    assert tuple(item['inputs'].shape) == (3, 128, 128)
    sample = test[90]['data_samples']
    assert sample.gt_sem_seg.data.shape[1:] == (181, 217)  # unresized
    assert sample.slice_idx == 90 and sample.slice_axis == 2
