"""Context prediction / restoration corruptions: area, overlap, multiset,
channels, rotation, normalisation equivalence, errors."""
import numpy as np
import pytest
from mmcv.transforms import TRANSFORMS

from ussl_mm.datasets.transforms import (ContextPredictionCorruption,
                                         ContextRestorationCorruption)
from ussl_mm.datasets.transforms.inpainting import (rotate_layout,
                                                    sample_patch_layout)

SIZES = [(8, 128), (16, 128), (32, 128), (64, 256)]


def _noise(size, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    # Distinct values: a changed pixel is always visible.
    vals = rng.permutation(size * size).reshape(size, size).astype(np.int64)
    return np.stack([vals + 7 * c for c in range(channels)], -1)


def _rects_overlap(a, b, k):
    return abs(a[0] - b[0]) < k and abs(a[1] - b[1]) < k


@pytest.mark.parametrize('cls', [ContextPredictionCorruption,
                                 ContextRestorationCorruption])
@pytest.mark.parametrize('sampling', ['random', 'poisson'])
@pytest.mark.parametrize('k,size', SIZES)
def test_corrupts_at_least_a_quarter(cls, sampling, k, size):
    kwargs = dict(fill=-1) if cls is ContextPredictionCorruption else {}
    t = cls(patch_size=k, sampling=sampling, num_precomputed=3, seed=1,
            **kwargs)
    img = _noise(size)
    for _ in range(4):
        out = t(dict(img=img.copy()))
        changed = (out['img'] != out['gt_img']).any(-1)
        # What the model sees: changed pixels, not just the bookkeeping mask.
        assert changed.mean() >= 0.25 - 1e-9
        assert (changed <= out['corruption_mask'].astype(bool)).all()
        np.testing.assert_array_equal(out['gt_img'], img)


@pytest.mark.parametrize('paired', [False, True])
@pytest.mark.parametrize('k,size', SIZES)
def test_poisson_patches_do_not_overlap(paired, k, size):
    for seed in range(3):
        c = sample_patch_layout(size, size, k, 'poisson', 0.25, paired,
                                np.random.default_rng(seed))
        assert ((c >= 0) & (c <= size - k)).all()
        for i in range(len(c)):
            for j in range(i + 1, len(c)):
                assert not _rects_overlap(c[i], c[j], k), (c[i], c[j])
        if paired:
            assert len(c) % 2 == 0


def test_poisson_uses_scipy_poisson_disk(monkeypatch):
    from scipy.stats import qmc
    calls = []
    orig = qmc.PoissonDisk.__init__

    def spy(self, *a, **kw):
        calls.append(kw.get('radius'))
        orig(self, *a, **kw)

    monkeypatch.setattr(qmc.PoissonDisk, '__init__', spy)
    sample_patch_layout(128, 128, 16, 'poisson', 0.25, False,
                        np.random.default_rng(0))
    assert calls and calls[0] == 16


@pytest.mark.parametrize('sampling', ['random', 'poisson'])
def test_restoration_preserves_pixel_multiset(sampling):
    t = ContextRestorationCorruption(patch_size=16, sampling=sampling,
                                     num_precomputed=2, seed=0)
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (96, 96, 3)).astype(np.uint8)
    out = t(dict(img=img.copy()))
    assert not np.array_equal(out['img'], img)
    for c in range(3):
        np.testing.assert_array_equal(
            np.sort(out['img'][..., c], axis=None),
            np.sort(img[..., c], axis=None))
    # Whole pixels (all channels together) are permuted, too.
    a = np.sort(out['img'].reshape(-1, 3).view('u1,u1,u1'), axis=0)
    b = np.sort(img.reshape(-1, 3).view('u1,u1,u1'), axis=0)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('cls', [ContextPredictionCorruption,
                                 ContextRestorationCorruption])
def test_same_corruption_on_every_channel(cls):
    kwargs = dict(fill=-1) if cls is ContextPredictionCorruption else {}
    t = cls(patch_size=16, num_precomputed=2, seed=0, **kwargs)
    img = _noise(64)  # channel c = channel 0 + 7c
    out = t(dict(img=img.copy()))['img']
    changed = out != img
    assert changed.any()
    assert (changed[..., 0] == changed[..., 1]).all()
    assert (changed[..., 0] == changed[..., 2]).all()
    if cls is ContextRestorationCorruption:
        # The same permutation moved every channel.
        np.testing.assert_array_equal(out[..., 1], out[..., 0] + 7)
        np.testing.assert_array_equal(out[..., 2], out[..., 0] + 14)


def test_prediction_fill_mean_is_zero_after_normalisation():
    mean = np.array([100., 110., 120.])
    std = np.array([50., 40., 30.])
    t = ContextPredictionCorruption(patch_size=8, fill=mean.tolist(),
                                    num_precomputed=2, seed=0)
    img = _noise(32).astype(np.float32)
    out = t(dict(img=img.copy()))
    norm = (out['img'] - mean) / std
    m = out['corruption_mask'].astype(bool)
    assert m.mean() >= 0.25
    np.testing.assert_allclose(norm[m], 0, atol=1e-5)
    # image_mean: per-channel mean of the clean image.
    t2 = ContextPredictionCorruption(patch_size=8, num_precomputed=2, seed=0)
    out2 = t2(dict(img=img.copy()))
    m2 = out2['corruption_mask'].astype(bool)
    np.testing.assert_allclose(out2['img'][m2][0], img.mean((0, 1)),
                               rtol=1e-5)


def test_rotation_matches_np_rot90():
    k, size = 8, 40
    c = sample_patch_layout(size, size, k, 'random', 0.25, False,
                            np.random.default_rng(0))

    def mask_of(corners):
        m = np.zeros((size, size), bool)
        for y, x in corners:
            m[y:y + k, x:x + k] = True
        return m

    for r in range(4):
        np.testing.assert_array_equal(
            mask_of(rotate_layout(c, size, size, k, r)),
            np.rot90(mask_of(c), r))
    with pytest.raises(ValueError, match='square'):
        rotate_layout(c, 40, 48, k, 1)


def test_precomputed_bank_is_reused_and_rotated():
    t = ContextRestorationCorruption(patch_size=8, num_precomputed=2, seed=0)
    masks = {t(dict(img=_noise(32)))['corruption_mask'].tobytes()
             for _ in range(60)}
    assert len(t._bank[(32, 32)]) == 2
    assert 2 < len(masks) <= 8  # 2 layouts x 4 rotations


def test_non_square_and_grayscale_images():
    t = ContextRestorationCorruption(patch_size=8, num_precomputed=2, seed=0)
    img = _noise(48, channels=1)[..., 0][:40]
    out = t(dict(img=img.copy()))
    assert out['img'].shape == (40, 48)
    assert (out['img'] != img).mean() >= 0.25


def test_registered_and_errors():
    t = TRANSFORMS.build(dict(type='ContextRestorationCorruption',
                              patch_size=8))
    assert 'patch_size=8' in repr(t)
    with pytest.raises(ValueError, match='sampling'):
        ContextPredictionCorruption(sampling='grid')
    with pytest.raises(ValueError, match='patch_size=64'):
        ContextPredictionCorruption(patch_size=64)(dict(img=_noise(32)))
    with pytest.raises(RuntimeError, match='smaller patch_size'):
        ContextRestorationCorruption(patch_size=64)(dict(img=_noise(128)))
    with pytest.raises(TypeError, match='a.png'):
        ContextRestorationCorruption()(dict(img=[1], img_path='a.png'))
