"""Ultrasound-safe transforms: geometry follows seg_fields, intensity keeps
gray images gray, both scopes find them. (The lateral flip is mmcv's
RandomFlip(direction='horizontal'); tests/test_configs checks that no config
flips vertically.)"""
import os.path as osp

import numpy as np
import pytest
from mmcv.transforms import TRANSFORMS as MMCV_TRANSFORMS
from mmcv.transforms import RandomFlip
from mmpretrain.registry import TRANSFORMS as PRETRAIN_TRANSFORMS
from mmseg.registry import TRANSFORMS as SEG_TRANSFORMS

from ussl_mm.datasets.transforms import (LoadUSImage, USDepthGain,
                                         USGainGamma, USGaussianBlur,
                                         USRandomAffine, USRandomResizedCrop,
                                         USSpeckleNoise)

NAMES = ['LoadUSImage', 'LoadUSAnnotations', 'USSpeckleNoise', 'USGainGamma',
         'USDepthGain', 'USGaussianBlur', 'USRandomResizedCrop',
         'USRandomAffine']


@pytest.mark.parametrize('name', NAMES)
def test_both_scopes_find_them(name):
    assert MMCV_TRANSFORMS.get(name) is not None
    assert SEG_TRANSFORMS.get(name) is MMCV_TRANSFORMS.get(name)
    assert PRETRAIN_TRANSFORMS.get(name) is MMCV_TRANSFORMS.get(name)


def _results(h=48, w=64):
    # image = mask * 200 + 20 so geometry can be checked through the mask
    mask = np.zeros((h, w), np.uint8)
    mask[10:30, 5:25] = 1
    gray = (mask * 200 + 20).astype(np.uint8)
    img = np.repeat(gray[..., None], 3, axis=2)
    return dict(img=img, gt_seg_map=mask.copy(), seg_fields=['gt_seg_map'],
                img_shape=(h, w))


def _consistent(r):
    img, seg = r['img'][..., 0].astype(int), r['gt_seg_map']
    inside = seg == 1
    outside = seg == 0
    assert inside.any() and outside.any()
    # bright where mask = 1, dark where mask = 0 (interpolation on edges)
    assert np.median(img[inside]) > 150 and np.median(img[outside]) < 60


@pytest.mark.parametrize('t', [
    # mmcv's flip on our loaders' keys (it flips `gt_seg_map` only).
    RandomFlip(prob=1.0, direction='horizontal'),
    USRandomResizedCrop(size=(40, 40), scale=(0.6, 1.0)),
    USRandomAffine(prob=1.0, max_angle=10, scale=(0.9, 1.1)),
])
def test_geometry_applies_to_seg_fields(t):
    np.random.seed(1)
    for _ in range(5):
        r = t(_results())
        _consistent(r)
        assert r['img'].shape[:2] == r['gt_seg_map'].shape
        assert set(np.unique(r['gt_seg_map'])) <= {0, 1, 255}


def test_affine_pads_masks_with_ignore():
    np.random.seed(0)
    r = USRandomAffine(prob=1.0, max_angle=10, scale=(0.8, 0.8))(_results())
    assert r['gt_seg_map'][0, 0] == 255 and r['img'][0, 0, 0] == 0


@pytest.mark.parametrize('t', [
    USSpeckleNoise(prob=1.0),
    USGainGamma(prob=1.0),
    USDepthGain(prob=1.0, slope=(0.4, 0.4)),
    USGaussianBlur(prob=1.0),
])
def test_intensity_keeps_gray_and_changes_image(t):
    np.random.seed(0)
    rng = np.random.default_rng(0)
    gray = rng.integers(30, 220, (48, 64), dtype=np.uint8)
    img = np.repeat(gray[..., None], 3, axis=2)
    r = t(dict(img=img.copy()))
    out = r['img']
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert not np.array_equal(out, img)
    assert np.array_equal(out[..., 0], out[..., 1])
    assert np.array_equal(out[..., 1], out[..., 2])


def test_depth_gain_ramps_along_rows():
    img = np.full((50, 20, 3), 100, np.uint8)
    out = USDepthGain(prob=1.0, slope=(0.4, 0.4))(dict(img=img))['img']
    assert out[0, 0, 0] < 100 < out[-1, 0, 0]
    assert (out[:, 0] == out[:, -1]).all()  # no lateral change


def test_speckle_keeps_black_black():
    img = np.zeros((32, 32, 3), np.uint8)
    img[:, 16:] = 128
    out = USSpeckleNoise(prob=1.0, sigma=(0.3, 0.3))(dict(img=img))['img']
    assert (out[:, :16] == 0).all() and out[:, 16:].std() > 5


def test_prob_zero_is_identity():
    r = _results()
    for t in (USSpeckleNoise(prob=0), USGainGamma(prob=0),
              USDepthGain(prob=0), USGaussianBlur(prob=0),
              USRandomAffine(prob=0)):
        out = t(dict(r, img=r['img'].copy()))
        np.testing.assert_array_equal(out['img'], r['img'])


def test_load_us_image_gray_and_rgba(tmp_path):
    import cv2
    g = np.arange(12, dtype=np.uint8).reshape(3, 4)
    cv2.imwrite(str(tmp_path / 'g.png'), g)
    out = LoadUSImage()(dict(img_path=str(tmp_path / 'g.png')))
    assert out['img'].shape == (3, 4, 3) and out['ori_shape'] == (3, 4)
    assert (out['img'] == g[..., None]).all()
    bgra = np.zeros((3, 4, 4), np.uint8)
    bgra[..., 0], bgra[..., 2], bgra[..., 3] = 10, 30, 255
    cv2.imwrite(str(tmp_path / 'c.png'), bgra)
    out = LoadUSImage(rgb_to_gray=False)(
        dict(img_path=str(tmp_path / 'c.png')))
    assert out['img'].shape == (3, 4, 3) and out['img'][0, 0, 2] == 30
    with pytest.raises(FileNotFoundError, match='nope.png'):
        LoadUSImage()(dict(img_path=osp.join(str(tmp_path), 'nope.png')))
    with pytest.raises(ValueError, match='convert_16bit'):
        LoadUSImage(convert_16bit='auto')


def test_random_rescale_is_relative_to_each_image_and_keeps_masks_aligned():
    from ussl_mm.datasets.transforms import RandomRescale
    t = RandomRescale(ratio_range=(0.5, 2.0))
    seen = []
    for seed, (h, w) in enumerate([(40, 60), (100, 80)] * 10):
        np.random.seed(seed)
        img = np.zeros((h, w, 3), np.uint8)
        img[h // 4:h // 2, w // 4:w // 2] = 200
        seg = (img[..., 0] > 0).astype(np.uint8)
        out = t(dict(img=img, gt_seg_map=seg, seg_fields=['gt_seg_map'],
                     img_shape=(h, w)))
        oh, ow = out['img'].shape[:2]
        ratio = oh / h
        assert 0.5 - 0.03 <= ratio <= 2.0 + 0.03
        assert abs(ow / w - ratio) < 0.05          # aspect kept
        assert out['gt_seg_map'].shape == (oh, ow)
        assert set(np.unique(out['gt_seg_map'])) <= {0, 1}   # nearest
        assert ((out["img"][..., 0] > 100) == (out["gt_seg_map"] == 1)).mean() \
            > 0.95
        seen.append(ratio)
    assert min(seen) < 0.8 and max(seen) > 1.3     # both directions
    with pytest.raises(ValueError, match='ratio_range'):
        RandomRescale(ratio_range=(2.0, 0.5))
