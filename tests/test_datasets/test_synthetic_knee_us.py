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
