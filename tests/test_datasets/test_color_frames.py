"""Colour frames and coloured overlays (issue 11, item 6): LoadUSImage
converts colour to gray by default and can suppress overlay pixels."""
import cv2
import numpy as np
import pytest

from ussl_mm.datasets.transforms import LoadUSImage


@pytest.fixture
def frame(tmp_path):
    rng = np.random.default_rng(0)
    g = rng.integers(30, 90, (40, 60), dtype=np.uint8)
    img = np.repeat(g[..., None], 3, axis=2)
    img[10:20, 20:30] = (0, 0, 255)      # red Doppler-like box (BGR)
    img[2:4, 2:20] = (0, 255, 255)       # yellow annotation
    path = str(tmp_path / 'f.png')
    cv2.imwrite(path, img)
    over = np.zeros((40, 60), bool)
    over[10:20, 20:30] = over[2:4, 2:20] = True
    return path, g, over


def test_default_gray_keeps_the_overlay_luminance(frame):
    path, g, over = frame
    img = LoadUSImage()(dict(img_path=path))['img']
    assert img.shape == (40, 60, 3)
    assert (img[..., 0] == img[..., 1]).all() and (
        img[..., 1] == img[..., 2]).all()
    np.testing.assert_array_equal(img[..., 0][~over], g[~over])
    assert img[15, 25, 0] == 76      # red -> 0.299 * 255
    assert img[3, 5, 0] == 226       # yellow -> 0.299*255 + 0.587*255


def test_overlay_zero_and_inpaint(frame):
    path, g, over = frame
    z = LoadUSImage(color_overlay='zero')(dict(img_path=path))['img'][..., 0]
    assert (z[over] == 0).all()
    np.testing.assert_array_equal(z[~over], g[~over])
    p = LoadUSImage(color_overlay='inpaint')(
        dict(img_path=path))['img'][..., 0]
    np.testing.assert_array_equal(p[~over], g[~over])
    # filled from the gray surroundings (30..90), not the overlay's 76/226
    assert 30 <= p[over].min() and p[over].max() <= 90
    kept = LoadUSImage(rgb_to_gray=False, color_overlay='zero')(
        dict(img_path=path))['img']
    assert (kept[over] == 0).all()
    with pytest.raises(ValueError, match='color_overlay'):
        LoadUSImage(color_overlay='remove')


def test_gray_jpeg_with_chroma_noise_is_not_overlay(tmp_path):
    rng = np.random.default_rng(1)
    g = cv2.GaussianBlur(rng.integers(0, 256, (64, 64), dtype=np.uint8),
                         (5, 5), 0)
    bgr = np.repeat(g[..., None], 3, axis=2)
    bgr[..., 0] = np.clip(bgr[..., 0].astype(int) + 6, 0, 255)  # a tint
    path = str(tmp_path / 'g.jpg')
    cv2.imwrite(path, bgr, [cv2.IMWRITE_JPEG_QUALITY, 70])
    a = LoadUSImage()(dict(img_path=path))['img']
    b = LoadUSImage(color_overlay='zero')(dict(img_path=path))['img']
    np.testing.assert_array_equal(a, b)


def test_sector_mask_blanks_burned_in_ui(tmp_path):
    h, w = 48, 64
    yy, xx = np.mgrid[:h, :w]
    sector = (yy > 8) & (np.abs(xx - w / 2) < (yy - 4) * 0.6)
    rng = np.random.default_rng(2)
    g = np.zeros((h, w), np.uint8)
    g[sector] = rng.integers(40, 200, sector.sum())
    g[2:5, 2:20] = 255                       # text outside the sector
    path = str(tmp_path / 's.png')
    cv2.imwrite(path, g)
    out = LoadUSImage(sector_mask='auto')(dict(img_path=path))['img']
    assert out[2:5, 2:20].max() == 0
    np.testing.assert_array_equal(out[..., 0][sector], g[sector])
    user = np.zeros((h, w), np.uint8)
    user[20:, :] = 1
    mpath = str(tmp_path / 'mask.png')
    cv2.imwrite(mpath, user)
    out = LoadUSImage(sector_mask=mpath)(dict(img_path=path))['img']
    assert out[:20].max() == 0
    np.testing.assert_array_equal(out[20:, :, 0], g[20:])
    with pytest.raises(FileNotFoundError, match='auto'):
        LoadUSImage(sector_mask=str(tmp_path / 'none.png'))
    cv2.imwrite(str(tmp_path / 'dark.png'), np.zeros((h, w), np.uint8))
    with pytest.raises(ValueError, match='dark.png'):
        LoadUSImage(sector_mask='auto')(
            dict(img_path=str(tmp_path / 'dark.png')))
