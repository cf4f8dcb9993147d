"""Build-time data checks (issue 11): 0/255 masks, image suffixes in any
case, orphan masks, empty files, palette masks, every bad file listed in one
error before training, a data_root that does not exist."""
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope
from PIL import Image

from ussl_mm.datasets import validation
from ussl_mm.datasets.splits import fraction_splits_from_folder
from ussl_mm.datasets.transforms import LoadUSAnnotations, LoadUSImage
from ussl_mm.datasets.validation import DataValidationError

PIPE = [dict(type='LoadUSImage'), dict(type='LoadUSAnnotations')]


@pytest.fixture
def root(knee_root, tmp_path):
    r = tmp_path / 'k'
    shutil.copytree(knee_root, r)
    return r


def _build(root, split='train', pipeline=PIPE, **kw):
    from mmseg.registry import DATASETS
    cfg = dict(type='KneeUSDataset', data_root=str(root),
               data_prefix=dict(img_path=f'img_dir/{split}',
                                seg_map_path=f'ann_dir/{split}'),
               pipeline=pipeline)
    cfg.update(kw)
    with DefaultScope.overwrite_default_scope('mmseg'):
        return DATASETS.build(cfg)


def _train(root, sub='img_dir'):
    return sorted((root / sub / 'train').iterdir())


def _positives(root):
    return [m for m in _train(root, 'ann_dir') if cv2.imread(str(m), 0).any()]


def _to_0_255(root, split='train'):
    for m in sorted((root / 'ann_dir' / split).iterdir()):
        cv2.imwrite(str(m), cv2.imread(str(m), 0) * 255)


# ------------------------------------------------------------- 0/255 masks
def test_0_255_masks_refused_with_every_file_values_and_fix(root):
    pos = _positives(root)
    _to_0_255(root)
    with pytest.raises(DataValidationError) as e:
        _build(root)
    msg = str(e.value)
    assert all(str(m) in msg for m in pos), 'every 0/255 mask is named'
    assert 'values [0, 255]' in msg
    assert 'mask_values={0: 0, 255: 1}' in msg
    # the split tool refuses them too instead of stratifying on nothing
    with pytest.raises(DataValidationError, match='mask_values'):
        fraction_splits_from_folder(str(root), seed=0)


@pytest.mark.parametrize('mv', [{0: 0, 255: 1}, '{0: 0, 255: 1}',
                                ['0:0', '255:1']])
def test_mask_values_maps_0_255_to_classes(root, mv):
    pos = _positives(root)
    _to_0_255(root)
    ds = _build(root, mask_values=mv)
    i = [d['seg_map_path'] for d in ds.load_data_list()].index(str(pos[0]))
    seg = ds[i]['gt_seg_map']
    assert set(np.unique(seg)) == {0, 1}
    # mmseg's own LoadAnnotations (stock recipe) applies it as label_map
    from mmseg.datasets.transforms import LoadAnnotations
    info = ds.get_data_info(i)
    assert info['label_map'] == {255: 1}
    out = LoadAnnotations()(dict(info))
    assert set(np.unique(out['gt_seg_map'])) == {0, 1}


def test_mask_values_on_the_loader_and_not_twice(root):
    _to_0_255(root)
    pipe = [dict(type='LoadUSImage'),
            dict(type='LoadUSAnnotations', mask_values={0: 0, 255: 1})]
    ds = _build(root, pipeline=pipe)
    assert set(np.unique(ds[_index_of_positive(ds)]['gt_seg_map'])) == {0, 1}
    with pytest.raises(ValueError, match='one place'):
        _build(root, pipeline=pipe, mask_values={0: 0, 255: 1})
    with pytest.raises(ValueError, match='raw:class'):
        _build(root, mask_values='255')


def _index_of_positive(ds):
    for i, d in enumerate(ds.load_data_list()):
        if (cv2.imread(d['seg_map_path'], 0) == 255).any():
            return i
    raise AssertionError('no positive mask')


def test_split_tool_with_mask_values(root):
    _to_0_255(root)
    import json
    man = fraction_splits_from_folder(str(root), seed=0,
                                      mask_values={0: 0, 255: 1})
    man = json.load(open(man))
    assert man['num_source_positive'] == len(_positives(root)) > 0
    assert man['mask_values'] == {'0': 0, '255': 1}


# ---------------------------------------------------- suffixes in any case
RENAMES = ['.jpg', '.PNG', '.JPEG', '.BMP', '.TIF', '.tiff', '.Jpg']


def _mix_suffixes(root):
    imgs = _train(root)
    for p, suf in zip(imgs, RENAMES):
        g = cv2.imread(str(p), 0)
        p.unlink()
        cv2.imwrite(str(p.with_suffix(suf.lower())), g)  # cv2 wants lower
        if suf != suf.lower():  # the file system keeps the case we give
            os.rename(p.with_suffix(suf.lower()), p.with_suffix(suf))
    return [p.with_suffix(s) for p, s in zip(imgs, RENAMES)]


def test_mixed_and_upper_case_suffixes_are_all_used(root):
    renamed = _mix_suffixes(root)
    ds = _build(root)
    paths = [d['img_path'] for d in ds.load_data_list()]
    assert len(paths) == 40
    assert all(str(p) in paths for p in renamed)
    i = paths.index(str(renamed[2]))  # .JPEG
    assert ds[i]['img'].shape == (64, 64, 3)
    # a split file names stems; they resolve to any suffix
    (root / 'splits' / 'mine.txt').write_text(
        f'{renamed[0].stem}\n{renamed[1].stem}.PNG\n')
    ds = _build(root, ann_file='splits/mine.txt')
    assert [d['img_path'] for d in ds.load_data_list()] == [
        str(renamed[0]), str(renamed[1])]
    # the split tool splits all of them
    import json
    man = json.load(open(fraction_splits_from_folder(str(root), seed=0)))
    assert man['num_source'] == 40
    assert renamed[3].stem in man['source_list']
    # so does the pretraining set
    from mmpretrain.registry import DATASETS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        un = DATASETS.build(dict(type='UnlabelledImageDataset',
                                 roots=str(root / 'img_dir' / 'train')))
    assert len(un) == 40


def test_restricted_img_suffix_refuses_with_the_full_list(root):
    renamed = _mix_suffixes(root)
    with pytest.raises(DataValidationError) as e:
        _build(root, img_suffix='.png')
    msg = str(e.value)
    others = [p for p in renamed if p.suffix.lower() != '.png']
    assert f'({len(others)})' in msg
    assert all(str(p) in msg for p in others)
    assert str(renamed[1]) not in msg  # .PNG is a .png


def test_duplicate_stem_and_jpeg_mask_and_dicom_in_image_folder(root):
    img = _train(root)[0]
    cv2.imwrite(str(img.with_suffix('.jpg')), cv2.imread(str(img)))
    mask = _train(root, 'ann_dir')[1]
    cv2.imwrite(str(mask.with_suffix('.jpg')), cv2.imread(str(mask)))
    (root / 'img_dir' / 'train' / 'scan.dcm').write_bytes(b'x')
    with pytest.raises(DataValidationError) as e:
        _build(root)
    msg = str(e.value)
    assert 'several images with one stem' in msg and img.stem in msg
    assert 'JPEG mask' in msg and str(mask.with_suffix('.jpg')) in msg
    assert 'dicom_to_layout.py' in msg and 'scan.dcm' in msg


def test_non_image_files_are_reported(root, monkeypatch):
    said = []
    monkeypatch.setattr(validation, '_warn', said.append)
    (root / 'img_dir' / 'train' / 'notes.txt').write_text('x')
    assert len(_build(root)) == 40
    assert any('notes.txt' in s and 'not used' in s for s in said)


# ------------------------------------------- orphans, empty files, palettes
def test_orphan_mask_is_reported(root):
    extra = root / 'ann_dir' / 'train' / 'no_image.png'
    cv2.imwrite(str(extra), np.zeros((64, 64), np.uint8))
    with pytest.raises(DataValidationError, match='orphan') as e:
        _build(root)
    assert str(extra) in str(e.value)
    with pytest.raises(DataValidationError, match=str(extra)):
        fraction_splits_from_folder(str(root), seed=0)


def test_zero_byte_image_named_at_build_and_at_load(root):
    img = _train(root)[3]
    img.write_bytes(b'')
    with pytest.raises(DataValidationError) as e:
        _build(root)
    assert str(img) in str(e.value) and '0 bytes' in str(e.value)
    # with the checks off, the loader names it (was: cv2.error !buf.empty())
    ds = _build(root, validate=False)
    i = [d['img_path'] for d in ds.load_data_list()].index(str(img))
    with pytest.raises(ValueError, match='0 bytes') as e:
        ds[i]
    assert str(img) in str(e.value)


def test_palette_masks_are_label_indices(root):
    m = _positives(root)[0]
    lab = cv2.imread(str(m), 0)
    im = Image.fromarray(lab, mode='P')
    im.putpalette([0, 0, 0, 128, 0, 0] + [0, 0, 0] * 254)  # VOC colours
    im.save(str(m))
    assert Image.open(str(m)).mode == 'P'
    assert cv2.imread(str(m), cv2.IMREAD_UNCHANGED).ndim == 3  # OpenCV: RGB
    ds = _build(root)
    i = [d['seg_map_path'] for d in ds.load_data_list()].index(str(m))
    np.testing.assert_array_equal(ds[i]['gt_seg_map'], lab)
    # a real colour rendering is still refused, named
    cv2.imwrite(str(m), np.stack([lab * 128, lab * 0, lab * 64], -1))
    with pytest.raises(DataValidationError, match='colour') as e:
        _build(root)
    assert str(m) in str(e.value)
    with pytest.raises(ValueError, match=str(m)):
        LoadUSAnnotations(num_classes=2)(
            dict(seg_map_path=str(m), ori_shape=(64, 64)))


def test_every_bad_file_listed_at_build_before_training(root):
    imgs, masks = _train(root), _train(root, 'ann_dir')
    imgs[5].write_bytes(b'')                                  # empty
    imgs[9].write_bytes(b'\x89PNG not really an image')       # corrupt
    cv2.imwrite(str(masks[12]), np.zeros((32, 48), np.uint8))  # size
    cv2.imwrite(str(masks[20]), np.full((64, 64), 3, np.uint8))  # value
    masks[30].write_bytes(b'')                                # empty mask
    orphan = root / 'ann_dir' / 'train' / 'zz_orphan.png'
    cv2.imwrite(str(orphan), np.zeros((64, 64), np.uint8))
    with pytest.raises(DataValidationError) as e:
        _build(root)
    msg = str(e.value)
    for p in (imgs[5], imgs[9], masks[12], masks[20], masks[30], orphan):
        assert str(p) in msg, p
    assert '6 problem(s)' in msg
    assert '32x48' in msg and 'outside: [3]' in msg


def test_16bit_images_refused_at_build_unless_the_loader_converts(root):
    img = _train(root)[2]
    cv2.imwrite(str(img), cv2.imread(str(img), 0).astype(np.uint16) * 257)
    with pytest.raises(DataValidationError, match="convert_16bit='minmax'"):
        _build(root)
    pipe = [dict(type='LoadUSImage', convert_16bit='shift'),
            dict(type='LoadUSAnnotations')]
    assert len(_build(root, pipeline=pipe)) == 40


# --------------------------------------------------------------- data_root
def test_data_root_that_does_not_exist_is_an_error(tmp_path):
    nowhere = tmp_path / 'no_such_root'
    with pytest.raises(FileNotFoundError, match='does not exist') as e:
        _build(nowhere)
    assert str(nowhere) in str(e.value)
    from mmpretrain.registry import DATASETS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        with pytest.raises(FileNotFoundError, match='does not exist'):
            DATASETS.build(dict(type='UnlabelledImageDataset',
                                data_root=str(nowhere), roots='img_dir'))
    from ussl_mm.datasets import NiftiMRIDataset
    with pytest.raises(FileNotFoundError, match='does not exist'):
        NiftiMRIDataset(data_root=str(nowhere))


def test_unlabelled_dataset_refuses_empty_images(knee_root, tmp_path):
    r = tmp_path / 'u'
    shutil.copytree(knee_root / 'img_dir' / 'val', r)
    bad = sorted(r.iterdir())[0]
    bad.write_bytes(b'')
    from mmpretrain.registry import DATASETS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        with pytest.raises(DataValidationError, match=str(bad)):
            DATASETS.build(dict(type='UnlabelledImageDataset', roots=str(r)))
        ds = DATASETS.build(dict(type='UnlabelledImageDataset', roots=str(r),
                                 validate=False))
    assert len(ds) == 6


def test_load_us_image_names_an_empty_file(tmp_path):
    p = tmp_path / 'e.png'
    p.write_bytes(b'')
    with pytest.raises(ValueError, match='0 bytes') as e:
        LoadUSImage()(dict(img_path=str(p)))
    assert str(p) in str(e.value) and osp.exists(p)
