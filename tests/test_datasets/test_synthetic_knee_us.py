import numpy as np

from ussl_mm.datasets.synthetic import generate_knee_us, synthesize_knee_us


def test_deterministic_and_varied():
    a = synthesize_knee_us(np.random.default_rng(5), 64)
    b = synthesize_knee_us(np.random.default_rng(5), 64)
    c = synthesize_knee_us(np.random.default_rng(6), 64)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert a[0].dtype == np.uint8 and a[0].shape == (64, 64)
    assert set(np.unique(a[1])) <= {0, 1}


def test_effusion_is_darker_and_some_images_have_none():
    sizes, contrast = [], []
    for i in range(30):
        img, mask = synthesize_knee_us(np.random.default_rng(i), 96)
        sizes.append(int(mask.sum()))
        if mask.sum() > 20:
            contrast.append(img[mask == 1].mean() < img[mask == 0].mean())
    assert 0 in sizes                     # some images without effusion
    assert len(set(sizes)) > 10           # sizes vary
    assert np.mean(contrast) > 0.9        # effusion is (an)echoic


def test_generate_layout_independent_of_workers(tmp_path):
    r1 = generate_knee_us(str(tmp_path / 'a'), 6, 2, 2, size=32, seed=1)
    r2 = generate_knee_us(str(tmp_path / 'b'), 6, 2, 2, size=32, seed=1,
                          workers=2)
    assert r1 == r2
    for sub in ('img_dir/train', 'ann_dir/val', 'splits'):
        assert (tmp_path / 'a' / sub).is_dir()
    a = (tmp_path / 'a/img_dir/train/knee_train_00003.png').read_bytes()
    b = (tmp_path / 'b/img_dir/train/knee_train_00003.png').read_bytes()
    assert a == b
    assert (tmp_path / 'a/splits/train_100pct.txt').read_text().split() == \
        [f'knee_train_{i:05d}' for i in range(6)]


def test_second_regime_knobs_change_what_they_say():
    """Non-square size, coarser speckle, lower gain, smaller effusions."""
    img, mask = synthesize_knee_us(np.random.default_rng(3), (48, 80))
    assert img.shape == mask.shape == (48, 80)
    base, coarse, dark, small = [], [], [], []
    for i in range(12):
        b, bm = synthesize_knee_us(np.random.default_rng(i), 96,
                                   p_effusion=1.0)
        c, _ = synthesize_knee_us(np.random.default_rng(i), 96,
                                  p_effusion=1.0, speckle_scale=2.0)
        d, _ = synthesize_knee_us(np.random.default_rng(i), 96,
                                  p_effusion=1.0, gain_db=-8)
        _, sm = synthesize_knee_us(np.random.default_rng(i), 96,
                                   p_effusion=1.0, effusion_scale=0.5)
        # speckle grain: neighbouring pixels correlate more when coarser
        for arr, out in ((b, base), (c, coarse)):
            x = arr[20:70, 10:86].astype(np.float64)
            out.append(np.corrcoef(x[:, :-1].ravel(), x[:, 1:].ravel())[0, 1])
        dark.append(d.mean() < b.mean())
        small.append(sm.sum() <= bm.sum())
    assert np.mean(coarse) > np.mean(base) + 0.05
    assert all(dark)
    assert np.mean(small) > 0.9


def test_generate_non_square_records_the_regime(tmp_path):
    import json
    generate_knee_us(str(tmp_path), 4, 1, 1, size=(24, 40), seed=2,
                     speckle_scale=1.5, gain_db=-3, fractions=(50, 100))
    import cv2
    img = cv2.imread(str(tmp_path / 'img_dir/train/knee_train_00000.png'), 0)
    assert img.shape == (24, 40)
    manifest = json.loads((tmp_path / 'splits/manifest.json').read_text())
    gen = manifest['generator']
    assert gen['size'] == [24, 40] and gen['speckle_scale'] == 1.5
    assert gen['gain_db'] == -3
