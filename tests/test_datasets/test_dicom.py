"""DICOM input: frames, photometric interpretations, compressed transfer
syntaxes, pixel spacing, the unlabelled dataset and the layout converter.
Every file is built here with pydicom (no downloaded data)."""
import csv
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope

pydicom = pytest.importorskip('pydicom')
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.encaps import encapsulate  # noqa: E402
from pydicom.sequence import Sequence  # noqa: E402
from pydicom.uid import (ExplicitVRLittleEndian, JPEGBaseline8Bit,  # noqa
                         RLELossless, UltrasoundImageStorage,
                         UltrasoundMultiFrameImageStorage, generate_uid)

from ussl_mm.datasets.dicom import (dicom_num_frames,  # noqa: E402
                                    dicom_pixel_spacing, read_dicom_frame,
                                    read_dicom_header)
from ussl_mm.datasets.transforms import LoadUSImage  # noqa: E402

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _frames(n=1, h=24, w=32, seed=0):
    """Distinct gray frames: frame k has a bright block at column 2k."""
    rng = np.random.default_rng(seed)
    out = rng.integers(20, 120, (n, h, w), dtype=np.uint8)
    for k in range(n):
        out[k, 4:10, 2 * k:2 * k + 2] = 250
    return out


def make_dicom(path, pixels, photometric='MONOCHROME2', syntax=None,
               regions=None, pixel_spacing=None, bits=8, encoded=None):
    """Write a DICOM file. ``pixels``: (T, H, W) or (T, H, W, 3) in the
    photometric interpretation's own sample values."""
    multi = pixels.shape[0] > 1
    meta = FileMetaDataset()
    sop = UltrasoundMultiFrameImageStorage if multi else UltrasoundImageStorage
    meta.MediaStorageSOPClassUID = sop
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax or ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = 'US'
    ds.Rows, ds.Columns = pixels.shape[1:3]
    color = pixels.ndim == 4
    ds.SamplesPerPixel = 3 if color else 1
    if color:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 8 if bits <= 8 else 16
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    if multi:
        ds.NumberOfFrames = pixels.shape[0]
    if regions is not None:
        seq = []
        for (dx, dy, units, box) in regions:
            r = Dataset()
            r.RegionSpatialFormat = 1
            r.PhysicalUnitsXDirection = units
            r.PhysicalUnitsYDirection = units
            r.PhysicalDeltaX = dx
            r.PhysicalDeltaY = dy
            (r.RegionLocationMinX0, r.RegionLocationMinY0,
             r.RegionLocationMaxX1, r.RegionLocationMaxY1) = box
            seq.append(r)
        ds.SequenceOfUltrasoundRegions = Sequence(seq)
    if pixel_spacing is not None:
        ds.PixelSpacing = list(pixel_spacing)
    if encoded is not None:
        ds.PixelData = encapsulate(encoded)
    else:
        dtype = np.uint8 if bits <= 8 else np.uint16
        ds.PixelData = pixels.astype(dtype).tobytes()
    if syntax == RLELossless:
        ds.compress(RLELossless, pixels[0] if not multi else pixels,
                    encoding_plugin='pydicom')
    ds.save_as(str(path), enforce_file_format=True)
    return str(path)


def test_monochrome2_and_monochrome1(tmp_path):
    f = _frames()
    p2 = make_dicom(tmp_path / 'm2.dcm', f)
    p1 = make_dicom(tmp_path / 'm1.dcm', 255 - f, 'MONOCHROME1')
    np.testing.assert_array_equal(read_dicom_frame(p2), f[0])
    # MONOCHROME1 stores 0 = white; read back as bright = echo
    np.testing.assert_array_equal(read_dicom_frame(p1), f[0])


def test_multiframe_reads_the_requested_frame(tmp_path):
    f = _frames(5)
    p = make_dicom(tmp_path / 'cine.dcm', f)
    ds = read_dicom_header(p)
    assert dicom_num_frames(ds) == 5
    for k in (0, 3, 4):
        np.testing.assert_array_equal(read_dicom_frame(p, k, ds=ds), f[k])
    with pytest.raises(IndexError, match='5 frame'):
        read_dicom_frame(p, 5)


def _ybr_full(rgb):
    r, g, b = [rgb[..., i].astype(np.float64) for i in range(3)]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return np.clip(np.round(np.stack([y, cb, cr], -1)), 0, 255).astype(
        np.uint8)


def test_rgb_ybr_full_and_ybr_full_422(tmp_path):
    gray = _frames(2)
    rgb = np.repeat(gray[..., None], 3, axis=3).copy()
    rgb[:, 12:16, 20:28] = (255, 0, 0)  # a red overlay
    expect = np.stack([cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in rgb])
    p_rgb = make_dicom(tmp_path / 'rgb.dcm', rgb, 'RGB')
    p_ybr = make_dicom(tmp_path / 'ybr.dcm', _ybr_full(rgb), 'YBR_FULL')
    for p in (p_rgb, p_ybr):
        for k in range(2):
            g = read_dicom_frame(p, k)
            assert g.shape == (24, 32) and g.dtype == np.uint8
            assert np.abs(g.astype(int) - expect[k]).max() <= 2, p
        bgr = read_dicom_frame(p, 0, to_gray=False)
        assert bgr.shape == (24, 32, 3)
        assert abs(int(bgr[13, 21, 2]) - 255) <= 2  # red is channel 2 (BGR)
        assert int(bgr[13, 21, 0]) <= 2
    # YBR_FULL_422 native: Y0 Y1 Cb Cr per pair of pixels
    ybr = _ybr_full(rgb[:1])[0]
    y = ybr[..., 0].reshape(24, 16, 2)
    cb = ybr[..., 1].reshape(24, 16, 2).mean(-1).round().astype(np.uint8)
    cr = ybr[..., 2].reshape(24, 16, 2).mean(-1).round().astype(np.uint8)
    packed = np.concatenate([y, cb[..., None], cr[..., None]], -1)
    p422 = tmp_path / 'ybr422.dcm'
    make_dicom(p422, rgb[:1], 'YBR_FULL_422')
    ds = pydicom.dcmread(p422)
    ds.PixelData = packed.tobytes()
    ds.save_as(p422, enforce_file_format=True)
    g = read_dicom_frame(str(p422))
    assert np.abs(g.astype(int) - expect[0]).max() <= 2


def test_compressed_transfer_syntaxes(tmp_path):
    """RLE (pydicom's encoder) and JPEG baseline (a cine of JPEG frames, as
    scanners export them; decoded by the pylibjpeg/pillow plugins)."""
    f = _frames(3)
    p = make_dicom(tmp_path / 'rle.dcm', f, syntax=RLELossless)
    assert read_dicom_header(p).file_meta.TransferSyntaxUID == RLELossless
    np.testing.assert_array_equal(read_dicom_frame(p, 2), f[2])
    jpgs = [cv2.imencode('.jpg', x, [cv2.IMWRITE_JPEG_QUALITY, 95])[1]
            .tobytes() for x in f]
    p = make_dicom(tmp_path / 'jpeg.dcm', f, syntax=JPEGBaseline8Bit,
                   encoded=jpgs)
    for k in range(3):
        g = read_dicom_frame(p, k)
        assert np.abs(g.astype(int) - f[k]).mean() < 4
    assert read_dicom_frame(p, 1)[6, 2] > 200 > read_dicom_frame(p, 0)[6, 2]


def test_16bit_monochrome_uses_the_stored_range(tmp_path):
    f = (_frames().astype(np.uint16) * 16)  # 12 stored bits
    p = make_dicom(tmp_path / 'b12.dcm', f, bits=12)
    g = read_dicom_frame(p)
    np.testing.assert_array_equal(
        g, np.round(f[0] * 255.0 / 4095).astype(np.uint8))


def test_pixel_spacing_regions_in_cm_and_pixelspacing(tmp_path):
    f = _frames()
    p = make_dicom(tmp_path / 'r.dcm', f, regions=[
        (0.05, 0.04, 3, (0, 0, 4, 4)),           # small region
        (0.012, 0.011, 3, (0, 0, 31, 23)),       # the image region
        (0.5, 0.5, 4, (0, 0, 31, 23))])          # seconds, not cm
    row, col, src = dicom_pixel_spacing(read_dicom_header(p))
    assert src == 'SequenceOfUltrasoundRegions'
    assert row == pytest.approx(0.11) and col == pytest.approx(0.12)
    p = make_dicom(tmp_path / 's.dcm', f, pixel_spacing=(0.2, 0.3))
    assert dicom_pixel_spacing(read_dicom_header(p)) == (0.2, 0.3,
                                                         'PixelSpacing')
    p = make_dicom(tmp_path / 'n.dcm', f)
    assert dicom_pixel_spacing(read_dicom_header(p)) is None


def test_load_us_image_reads_dicom_frames(tmp_path):
    f = _frames(4)
    p = make_dicom(tmp_path / 'cine.dcm', f)
    out = LoadUSImage()(dict(img_path=p, frame_index=2))
    assert out['img'].shape == (24, 32, 3)
    np.testing.assert_array_equal(out['img'][..., 1], f[2])
    # a single-frame file without frame_index, detected by its suffix
    p1 = make_dicom(tmp_path / 'one.dcm', f[:1], 'MONOCHROME1')
    out = LoadUSImage()(dict(img_path=p1))
    np.testing.assert_array_equal(out['img'][..., 0], 255 - f[0])


def test_unlabelled_dataset_every_nth_frame(tmp_path):
    from mmpretrain.registry import DATASETS
    root = tmp_path / 'roots'
    (root / 'a').mkdir(parents=True)
    f = _frames(7)
    make_dicom(root / 'a' / 'cine.dcm', f)
    make_dicom(root / 'a' / 'IM0001', f[:1], 'MONOCHROME1')  # no suffix
    cv2.imwrite(str(root / 'a' / 'b.PNG'), f[0])
    (root / 'a' / 'notes.txt').write_text('not an image')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        ds = DATASETS.build(dict(
            type='UnlabelledImageDataset', roots=str(root),
            dicom_frame_step=3, pipeline=[dict(type='LoadUSImage')]))
        infos = ds.load_data_list()
        got = [(osp.basename(d['img_path']), d.get('frame_index'))
               for d in infos]
        assert sorted(got) == sorted([('IM0001', 0), ('b.PNG', None),
                                      ('cine.dcm', 0), ('cine.dcm', 3),
                                      ('cine.dcm', 6)])
        i = got.index(('cine.dcm', 6))
        np.testing.assert_array_equal(ds[i]['img'][..., 0], f[6])
        # a broken DICOM is refused at build time, named
        (root / 'a' / 'broken.dcm').write_bytes(b'\0' * 128 + b'DICM' +
                                                b'garbage')
        with pytest.raises(ValueError, match='broken.dcm'):
            DATASETS.build(dict(type='UnlabelledImageDataset',
                                roots=str(root)))


def _tool(name):
    """Import a tool script in-process (a subprocess would re-import torch
    for seconds)."""
    path = osp.join(REPO_ROOT, 'tools', 'dataset_converters', name + '.py')
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_dicom_to_layout_tool(tmp_path, capsys):
    """The converter: cine every 2nd frame, MONOCHROME1, a colour frame
    with UI outside the sector (auto sector mask), spacing CSV."""
    src = tmp_path / 'dicom'
    (src / 'study1').mkdir(parents=True)
    h, w = 48, 64
    yy, xx = np.mgrid[:h, :w]
    sector = (yy > 8) & (np.abs(xx - w / 2) < (yy - 4) * 0.6)
    rng = np.random.default_rng(1)
    cine = np.zeros((5, h, w), np.uint8)
    for k in range(5):
        cine[k][sector] = rng.integers(40, 200, sector.sum())
    cine[:, 2:5, 2:20] = 255  # burned-in text, outside the sector
    make_dicom(src / 'study1' / 'cine.dcm', cine, regions=[
        (0.01, 0.02, 3, (0, 0, w - 1, h - 1))])
    make_dicom(src / 'study1' / 'm1.dcm', 255 - cine[:1], 'MONOCHROME1',
               pixel_spacing=(0.3, 0.3))
    (src / 'readme.txt').write_text('x')
    out = tmp_path / 'layout'
    tool = _tool('dicom_to_layout')
    assert tool.main([str(src), str(out), '--frame-step', '2',
                      '--sector-mask', 'auto']) == 0
    assert 'readme.txt' in capsys.readouterr().out  # reported, not skipped
    img_dir = out / 'img_dir' / 'train'
    names = sorted(p.name for p in img_dir.iterdir())
    assert names == ['study1_cine_f0000.png', 'study1_cine_f0002.png',
                     'study1_cine_f0004.png', 'study1_m1.png']
    f2 = cv2.imread(str(img_dir / 'study1_cine_f0002.png'), -1)
    assert f2.shape == (h, w)
    assert f2[2:5, 2:20].max() == 0           # UI text blanked
    np.testing.assert_array_equal(f2[sector], cine[2][sector])
    m1 = cv2.imread(str(img_dir / 'study1_m1.png'), -1)
    np.testing.assert_array_equal(m1[sector], cine[0][sector])
    with open(out / 'pixel_spacing.csv', newline='') as fh:
        rows = {r['stem']: r for r in csv.DictReader(fh)}
    assert float(rows['study1_cine_f0004']['row_spacing_mm']) == \
        pytest.approx(0.2)
    assert float(rows['study1_cine_f0004']['col_spacing_mm']) == \
        pytest.approx(0.1)
    assert float(rows['study1_m1']['row_spacing_mm']) == pytest.approx(0.3)
    assert (out / 'dicom_manifest.csv').is_file()
    # a second run refuses to overwrite; a broken file fails the run, named
    (src / 'bad.dcm').write_bytes(b'\0' * 128 + b'DICM' + b'x')
    with pytest.raises(SystemExit, match='overwrite'):
        tool.main([str(src), str(out)])
    assert tool.main([str(src), str(out), '--overwrite']) == 1
    assert 'bad.dcm' in capsys.readouterr().err
