"""RandomForegroundCrop: foreground-centred crops with probability p."""
import numpy as np
import pytest
from mmcv.transforms import TRANSFORMS
from mmengine.registry import DefaultScope
from mmseg.registry import TRANSFORMS as SEG_TRANSFORMS


def _results(h=100, w=120, fg=((80, 100), ), label=1):
    img = np.arange(h * w * 3, dtype=np.float32).reshape(h, w, 3)
    seg = np.zeros((h, w), np.uint8)
    for y, x in fg:
        seg[y, x] = label
    return dict(img=img, gt_seg_map=seg, seg_fields=['gt_seg_map'],
                img_shape=(h, w))


def _crop(**kw):
    return TRANSFORMS.build(dict(type='RandomForegroundCrop', **kw))


def test_always_contains_the_single_foreground_pixel():
    t = _crop(crop_size=(16, 16), fg_prob=1.0)
    for seed in range(50):
        np.random.seed(seed)
        out = t(_results(fg=((3, 117), )))  # near a corner: clipped window
        assert out['img'].shape == (16, 16, 3)
        assert out['gt_seg_map'].shape == (16, 16)
        assert out['img_shape'] == (16, 16)
        assert out['gt_seg_map'].sum() == 1
        # image and mask cut from the same box
        y, x = np.argwhere(out['gt_seg_map'])[0]
        assert out['img'][y, x, 0] == (3 * 120 + 117) * 3


def test_uniform_crops_rarely_hit_a_small_structure():
    """fg_prob=0 is a uniform crop (RandomCrop's box): a 16 px crop of a
    100x120 image contains a given pixel ~2 % of the time."""
    t = _crop(crop_size=(16, 16), fg_prob=0.0)
    np.random.seed(0)
    hits = sum(t(_results())['gt_seg_map'].any() for _ in range(400))
    assert hits < 40


def test_probability_mixes_centred_and_uniform_draws():
    t = _crop(crop_size=(16, 16), fg_prob=0.5)
    np.random.seed(1)
    hits = sum(t(_results())['gt_seg_map'].any() for _ in range(400))
    # ~50 % centred (always hit) + ~2 % of the uniform half
    assert 150 < hits < 260


def test_classes_are_drawn_uniformly_not_by_area():
    """A 1-pixel class next to a large one is centred on as often."""
    h, w = 200, 200
    res = _results(h, w, fg=())
    res['gt_seg_map'][:100, :100] = 1  # large class
    res['gt_seg_map'][180, 180] = 2  # one pixel
    t = _crop(crop_size=(16, 16), fg_prob=1.0)
    np.random.seed(2)
    hits = 0
    for _ in range(300):
        r = {k: (v.copy() if isinstance(v, np.ndarray) else v)
             for k, v in res.items()}
        hits += int((t(r)['gt_seg_map'] == 2).any())
    assert 100 < hits < 200


def test_background_and_ignore_are_not_foreground():
    res = _results(fg=())
    res['gt_seg_map'][50:60, 50:60] = 255
    t = _crop(crop_size=(16, 16), fg_prob=1.0)
    np.random.seed(3)
    hits = sum(t(dict(res))['gt_seg_map'].max() == 255 for _ in range(200))
    assert hits < 40  # uniform draws only: no centring on ignore


def test_image_smaller_than_crop_is_kept_whole():
    t = _crop(crop_size=(128, 128), fg_prob=1.0)
    out = t(_results(40, 30, fg=((5, 5), )))
    assert out['img'].shape == (40, 30, 3)
    assert out['gt_seg_map'].shape == (40, 30)


def test_the_box_is_drawn_in_a_cache_randomness_method():
    """mmcv's TransformBroadcaster replays one draw on several fields only
    for methods registered by @cache_randomness."""
    from ussl_mm.datasets.transforms import RandomForegroundCrop
    assert 'crop_bbox' in RandomForegroundCrop._methods_with_randomness


def test_found_from_the_mmseg_scope_and_errors():
    with DefaultScope.overwrite_default_scope('mmseg'):
        t = SEG_TRANSFORMS.build(
            dict(type='RandomForegroundCrop', crop_size=[8, 8]))
    assert t.crop_size == (8, 8) and 'fg_prob=0.33' in repr(t)
    with pytest.raises(ValueError, match='fg_prob must lie in'):
        _crop(crop_size=8, fg_prob=1.5)
    res = _results()
    del res['gt_seg_map']
    with pytest.raises(KeyError, match='needs results\\["gt_seg_map"\\]'):
        _crop(crop_size=8)(res)
