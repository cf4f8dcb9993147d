"""ClinicalMetric on constructed images and volumes with known answers."""
import json

import cv2
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.registry import METRICS
from mmseg.structures import SegDataSample

from ussl_mm.evaluation import (ClinicalMetric, PerClassIoUMetric,
                                add_clinical_metric, find_spacing_file,
                                percent_error)

CLASSES = dict(classes=('background', 'effusion'))


def _sample(pred, gt, path, **meta):
    s = SegDataSample()
    s.pred_sem_seg = PixelData(data=torch.as_tensor(np.asarray(pred))[None])
    s.gt_sem_seg = PixelData(data=torch.as_tensor(np.asarray(gt))[None])
    s.set_metainfo(dict(img_path=str(path), **meta))
    return s.to_dict()


@pytest.fixture
def us_root(tmp_path):
    """data_root/img_dir/test/{a,b,c}.png, 8-bit gray, 10 x 10."""
    folder = tmp_path / 'us' / 'img_dir' / 'test'
    folder.mkdir(parents=True)
    img_a = np.full((10, 10), 30, np.uint8)
    img_a[0, :] = 100  # the true region: row 0, intensity 100
    img_a[1, :4] = 50  # false-positive pixels, intensity 50
    cv2.imwrite(str(folder / 'a.png'), img_a)
    cv2.imwrite(str(folder / 'b.png'), np.full((10, 10), 80, np.uint8))
    img_c = np.full((10, 10), 40, np.uint8)
    cv2.imwrite(str(folder / 'c.png'), img_c)
    return tmp_path / 'us'


def _us_samples(root):
    folder = root / 'img_dir' / 'test'
    z = np.zeros((10, 10), np.uint8)
    gt_a = z.copy()
    gt_a[0, :] = 1  # 10 px
    pr_a = z.copy()
    pr_a[0, :8] = 1  # 8 of them ...
    pr_a[1, :4] = 1  # ... and 4 px elsewhere: 12 px
    pr_b = z.copy()
    pr_b[5, 5:8] = 1  # 3 px on an image without effusion
    gt_c = z.copy()
    gt_c[9, :5] = 1  # 5 px, missed
    return [
        _sample(pr_a, gt_a, folder / 'a.png'),
        _sample(pr_b, z, folder / 'b.png'),
        _sample(z, gt_c, folder / 'c.png')
    ]


def test_percent_error():
    assert percent_error(12.0, 10.0) == pytest.approx(20.0)
    assert percent_error(-30.0, -20.0) == pytest.approx(-50.0)  # |ref|
    assert percent_error(5.0, 0.0) is None  # never divide by zero
    assert percent_error(None, 3.0) is None


def test_known_errors_in_mm2_with_pixel_spacing(us_root, tmp_path):
    (us_root / 'pixel_spacing.csv').write_text(
        'stem,row_spacing_mm,col_spacing_mm\n*,0.5,0.2\n')
    per_case = tmp_path / 'clinical.json'
    metric = METRICS.build(
        dict(type='ClinicalMetric', per_image_file=str(per_case)))
    metric.dataset_meta = CLASSES
    for s in _us_samples(us_root):
        metric.process({}, [s])
    out = metric.evaluate(3)
    recs = json.loads(per_case.read_text())
    a, b, c = recs
    assert a['size_unit'] == 'mm2' and a['intensity_unit'] == 'gray'
    # a: 10 px = 1.0 mm2 true, 12 px = 1.2 mm2 predicted: +20 %
    assert a['size_gt.effusion'] == pytest.approx(1.0)
    assert a['size_pred.effusion'] == pytest.approx(1.2)
    assert a['size_pct_err.effusion'] == pytest.approx(20.0)
    # intensity: true 100; predicted (8 * 100 + 4 * 50) / 12
    i_pred = (8 * 100 + 4 * 50) / 12
    assert a['intensity_gt.effusion'] == pytest.approx(100.0)
    assert a['intensity_pred.effusion'] == pytest.approx(i_pred)
    assert a['intensity_pct_err.effusion'] == pytest.approx(i_pred - 100)
    # b: empty ground truth -> no percent, the predicted area instead
    assert b['size_pct_err.effusion'] is None
    assert b['size_err.effusion'] == pytest.approx(0.3)
    assert b['intensity_pct_err.effusion'] is None
    # c: missed region -> -100 % size, intensity undefined
    assert c['size_pct_err.effusion'] == pytest.approx(-100.0)
    assert c['intensity_gt.effusion'] == pytest.approx(40.0)
    assert c['intensity_pred.effusion'] is None
    assert 'size_gt.background' not in a  # background not reported

    assert out['clinical/size_MdAPE.effusion'] == pytest.approx(60.0)
    assert out['clinical/size_n.effusion'] == 2
    assert out['clinical/intensity_MdAPE.effusion'] == pytest.approx(
        100 - i_pred)
    assert out['clinical/intensity_MdAE.effusion'] == pytest.approx(
        100 - i_pred)
    assert out['clinical/intensity_n.effusion'] == 1
    assert out['clinical/intensity_excluded_n.effusion'] == 2
    assert out['clinical/empty_gt_n.effusion'] == 1
    assert out['clinical/empty_gt_fp_n.effusion'] == 1
    assert out['clinical/empty_gt_pred_mm2.effusion'] == pytest.approx(0.3)


def test_pixels_without_spacing_file_and_per_image_rows(us_root):
    metric = ClinicalMetric()
    metric.dataset_meta = CLASSES
    for s in _us_samples(us_root):
        metric.process({}, [s])
    out = metric.evaluate(3)
    assert out['clinical/empty_gt_pred_px.effusion'] == pytest.approx(3.0)
    assert out['clinical/size_MdAPE.effusion'] == pytest.approx(60.0)

    # one row per image, one stem missing and no default row: refused
    (us_root / 'pixel_spacing.csv').write_text(
        'stem,row_spacing_mm,col_spacing_mm\na,0.1,0.1\nb,0.2,0.2\n')
    metric = ClinicalMetric()
    metric.dataset_meta = CLASSES
    samples = _us_samples(us_root)
    metric.process({}, samples[:2])
    with pytest.raises(ValueError, match="stem 'c'.*default row"):
        metric.process({}, samples[2:])


def test_bad_spacing_file_and_shapes(us_root, tmp_path):
    # the data root's file is found from the image path; a bad one is
    # refused with its name (the reader is ussl_mm.datasets.pixel_spacing's)
    csv_path = us_root / 'pixel_spacing.csv'
    assert find_spacing_file(str(us_root / 'img_dir/test/a.png')) is None
    csv_path.write_text('stem,row_spacing_mm,col_spacing_mm\n*,0,1\n')
    assert find_spacing_file(str(us_root / 'img_dir/test/a.png')) == str(
        csv_path)
    metric = ClinicalMetric()
    metric.dataset_meta = CLASSES
    one = _us_samples(us_root)[:1]
    with pytest.raises(ValueError, match='pixel_spacing.csv:2.*positive'):
        metric.process({}, one)
    csv_path.unlink()
    with pytest.raises(FileNotFoundError, match='pixel_spacing_file'):
        ClinicalMetric(pixel_spacing_file=str(tmp_path / 'missing.csv'))
    metric = ClinicalMetric()
    metric.dataset_meta = CLASSES
    small = np.zeros((5, 5), np.uint8)
    with pytest.raises(ValueError, match=r'is \(10, 10\).*after Resize'):
        metric.process(
            {}, [_sample(small, small, us_root / 'img_dir/test/a.png')])
    with pytest.raises(ValueError, match="not in the dataset's classes"):
        m = ClinicalMetric(classes=['lesion'])
        m.dataset_meta = CLASSES
        m.process({}, [])


def test_colour_image_is_read_as_gray(tmp_path):
    img = np.zeros((4, 4, 3), np.uint8)
    img[...] = (10, 20, 30)  # BGR
    cv2.imwrite(str(tmp_path / 'rgb.png'), img)
    gray = float(cv2.cvtColor(img.astype(np.float32), cv2.COLOR_BGR2GRAY)[0,
                                                                         0])
    gt = np.ones((4, 4), np.uint8)
    metric = ClinicalMetric(per_image_file=str(tmp_path / 'c.json'))
    metric.dataset_meta = CLASSES
    metric.process({}, [_sample(gt, gt, tmp_path / 'rgb.png')])
    metric.evaluate(1)
    rec = json.loads((tmp_path / 'c.json').read_text())[0]
    assert rec['intensity_gt.effusion'] == pytest.approx(gray)
    assert rec['size_pct_err.effusion'] == 0.0


def test_nifti_volume_in_ml_and_raw_hu(tmp_path):
    nib = pytest.importorskip('nibabel')
    # 4 x 5 x 3 voxels of 2 x 1 x 1.5 mm = 3 mm3; sliced along axis 2
    vol = np.full((4, 5, 3), -100.0, np.float32)
    vol[0, :2, 0] = -20.0  # true region, slice 0: 2 voxels
    vol[1, :2, 1] = -20.0  # true region, slice 1: 2 voxels
    vol[3, :2, 1] = 40.0  # predicted by mistake, slice 1: 2 voxels
    path = tmp_path / 'ct.nii.gz'
    nib.save(nib.Nifti1Image(vol, np.diag([2.0, 1.0, 1.5, 1.0])), str(path))
    gt = (vol == -20.0).astype(np.uint8)
    pred = ((vol == -20.0) | (vol == 40.0)).astype(np.uint8)
    metric = ClinicalMetric(per_image_file=str(tmp_path / 'c.json'))
    metric.dataset_meta = CLASSES
    for s in range(3):
        metric.process(
            {}, [_sample(pred[..., s], gt[..., s], path, slice_idx=s)])
    out = metric.evaluate(3)
    (rec, ) = json.loads((tmp_path / 'c.json').read_text())
    assert rec['num_slices'] == 3 and rec['size_unit'] == 'mL'
    assert rec['size_gt.effusion'] == pytest.approx(4 * 3 / 1000)
    assert rec['size_pred.effusion'] == pytest.approx(6 * 3 / 1000)
    assert rec['size_pct_err.effusion'] == pytest.approx(50.0)
    # raw HU, not the windowed/z-scored input: -20 true, (4*-20+2*40)/6 = 0
    assert rec['intensity_gt.effusion'] == pytest.approx(-20.0)
    assert rec['intensity_pred.effusion'] == pytest.approx(0.0)
    assert rec['intensity_pct_err.effusion'] == pytest.approx(100.0)
    assert out['clinical/size_MdAPE.effusion'] == pytest.approx(50.0)

    metric = ClinicalMetric()
    metric.dataset_meta = CLASSES
    with pytest.raises(ValueError, match="no slice_idx.*meta_keys"):
        metric.process({}, [_sample(pred[..., 0], gt[..., 0], path)])
    # a slice of the wrong axis does not fit the ground truth
    metric = ClinicalMetric(slice_axis=0)
    metric.dataset_meta = CLASSES
    with pytest.raises(ValueError, match='check slice_axis'):
        metric.process(
            {}, [_sample(pred[..., 0], gt[..., 0], path, slice_idx=0)])


def test_duplicate_sample_refused(us_root):
    metric = ClinicalMetric()
    metric.dataset_meta = CLASSES
    s = _us_samples(us_root)[0]
    metric.process({}, [s, s])
    with pytest.raises(ValueError, match='evaluated twice'):
        metric.evaluate(2)


def test_add_clinical_metric_and_evaluator_list(us_root, tmp_path):
    base = dict(type='PerClassIoUMetric', iou_metrics=['mIoU', 'mDice'])
    cfg = add_clinical_metric(base, per_image_file=str(tmp_path / 'c.json'))
    assert cfg[0] == base and cfg[1]['type'] == 'ClinicalMetric'
    assert add_clinical_metric(cfg)[1] == dict(type='ClinicalMetric')
    assert len(add_clinical_metric(cfg)) == 2  # replaced, not added twice
    evaluator = Evaluator([METRICS.build(m) for m in cfg])
    evaluator.dataset_meta = CLASSES
    evaluator.process(_us_samples(us_root))
    out = evaluator.evaluate(3)
    assert 'mIoU' in out and 'IoU.effusion' in out
    assert out['clinical/size_MdAPE.effusion'] == pytest.approx(60.0)
    assert (tmp_path / 'c.json').is_file()
    assert isinstance(evaluator.metrics[0], PerClassIoUMetric)
