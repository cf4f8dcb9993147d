"""tools/infer.py: label masks (and overlays) for a folder of new images,
one line per image, and errors that name the input."""
import os.path as osp
import re
import shutil

import cv2
import numpy as np
import pytest


@pytest.fixture
def scans(unet_knee_checkpoint, tmp_path):
    """Two test images of the knee set and a text file, in a new folder."""
    _, _, root = unet_knee_checkpoint
    folder = tmp_path / 'scans'
    folder.mkdir()
    for i in range(2):
        name = f'knee_test_{i:05d}.png'
        shutil.copy(osp.join(root, 'img_dir', 'test', name), folder / name)
    (folder / 'notes.txt').write_text('not an image')
    return folder


def test_folder_gives_masks_overlays_and_areas(unet_knee_checkpoint, scans,
                                               tmp_path, load_tool, capsys):
    config, ckpt, _ = unet_knee_checkpoint
    out = tmp_path / 'pred'
    res = load_tool('infer.py').main(
        [config, ckpt, str(scans), '--out-dir', str(out), '--overlay'])
    lines = capsys.readouterr().out.splitlines()

    assert [osp.basename(r['mask']) for r in res['images']] == [
        'knee_test_00000.png', 'knee_test_00001.png']
    assert res['skipped'] == ['notes.txt']
    for row in res['images']:
        img = cv2.imread(row['image'], cv2.IMREAD_UNCHANGED)
        mask = cv2.imread(row['mask'], cv2.IMREAD_UNCHANGED)
        assert mask.dtype == np.uint8 and mask.shape == img.shape
        assert set(np.unique(mask)) <= {0, 1}
        assert row['area'] == {'effusion': int((mask == 1).sum())}
        name = osp.basename(row['image'])
        assert f'{name}: 64x64 px; effusion {row["area"]["effusion"]} px' \
            in lines
        overlay = cv2.imread(row['overlay'])
        assert overlay.shape == img.shape + (3, )
        if row['area']['effusion']:
            # Effusion is painted in its palette colour (255, 200, 0) RGB:
            # red above blue, where the gray image has them equal.
            fg = overlay[mask == 1].astype(int)
            assert (fg[:, 2] - fg[:, 0]).mean() > 20
    assert any(line.startswith('Segmented 2 image(s) into') and
               '0=background, 1=effusion' in line for line in lines)
    assert "skipped 1 non-image file(s): ['notes.txt']" in lines[-1]


def test_missing_input_and_empty_folder_are_named(unet_knee_checkpoint,
                                                  tmp_path, load_tool):
    config, ckpt, _ = unet_knee_checkpoint
    tool = load_tool('infer.py')
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError,
                       match=re.escape(f'Input {missing} does not exist')):
        tool.main([config, ckpt, missing])
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'readme.md').write_text('x')
    with pytest.raises(ValueError,
                       match=re.escape(f'Input folder {empty} holds no image')
                       + r".*\['readme\.md'\]"):
        tool.main([config, ckpt, str(empty)])
    volume = tmp_path / 'ct.nii.gz'
    volume.write_bytes(b'\x00' * 10)
    with pytest.raises(ValueError, match='NIfTI volumes are not supported'):
        tool.main([config, ckpt, str(volume)])


def test_unreadable_image_and_out_dir_over_inputs_are_refused(
        unet_knee_checkpoint, scans, tmp_path, load_tool):
    config, ckpt, _ = unet_knee_checkpoint
    tool = load_tool('infer.py')
    with pytest.raises(ValueError, match='masks <stem>.png would overwrite '
                       'the images'):
        tool.main([config, ckpt, str(scans), '--out-dir', str(scans)])
    bad_dir = tmp_path / 'bad'
    bad_dir.mkdir()
    bad = bad_dir / 'broken.png'
    bad.write_bytes(b'not a png at all')
    with pytest.raises(ValueError, match=re.escape(f'{bad} is corrupt')):
        tool.main([config, ckpt, str(bad_dir), '--out-dir',
                   str(tmp_path / 'o')])


def _make_dicom():
    """``make_dicom`` of tests/test_datasets/test_dicom.py (pydicom)."""
    import importlib.util
    pytest.importorskip('pydicom')
    path = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                    'test_datasets', 'test_dicom.py')
    spec = importlib.util.spec_from_file_location('_infer_dicom', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_dicom


def test_dicom_frame_is_segmented_and_a_cine_loop_is_refused(
        unet_knee_checkpoint, tmp_path, load_tool):
    config, ckpt, root = unet_knee_checkpoint
    tool = load_tool('infer.py')
    make_dicom = _make_dicom()
    gray = cv2.imread(osp.join(root, 'img_dir', 'test', 'knee_test_00000.png'),
                      cv2.IMREAD_UNCHANGED)
    folder = tmp_path / 'dicom'
    folder.mkdir()
    make_dicom(str(folder / 'scan.dcm'), gray[None])
    res = tool.main([config, ckpt, str(folder), '--out-dir',
                     str(tmp_path / 'o')])
    mask = cv2.imread(res['images'][0]['mask'], cv2.IMREAD_UNCHANGED)
    assert osp.basename(res['images'][0]['mask']) == 'scan.png'
    assert mask.shape == gray.shape and mask.dtype == np.uint8

    loop = tmp_path / 'loop.dcm'
    make_dicom(str(loop), np.stack([gray, gray]))
    with pytest.raises(ValueError, match=re.escape(f'{loop} is a DICOM cine '
                       'loop of 2 frames') + '.*dicom_to_layout.py'):
        tool.main([config, ckpt, str(loop)])


def test_size_the_unet_cannot_take_names_the_padding_option(
        unet_knee_checkpoint, tmp_path, load_tool):
    config, ckpt, _ = unet_knee_checkpoint
    odd = tmp_path / 'odd'
    odd.mkdir()
    cv2.imwrite(str(odd / 'odd.png'), np.full((36, 44), 90, np.uint8))
    with pytest.raises(ValueError, match=r'odd\.png: The input image size '
                       r'\(36, 44\).*data_preprocessor\.test_cfg\.'
                       r'size_divisor=8'):
        load_tool('infer.py').main([config, ckpt, str(odd), '--out-dir',
                                    str(tmp_path / 'o')])


def test_sub_folders_are_listed_or_searched_with_recursive(
        unet_knee_checkpoint, scans, tmp_path, load_tool, capsys):
    """Images in sub-folders are never skipped silently: without
    --recursive the sub-folders are named (also when the folder itself
    holds no image); with it they are segmented, the masks mirroring the
    tree."""
    config, ckpt, _ = unet_knee_checkpoint
    tool = load_tool('infer.py')
    sub = scans / 'day2'
    sub.mkdir()
    shutil.copy(scans / 'knee_test_00000.png', sub / 'knee_test_00000.png')
    res = tool.main([config, ckpt, str(scans), '--out-dir',
                     str(tmp_path / 'flat')])
    assert res['skipped_dirs'] == ['day2'] and len(res['images']) == 2
    out = capsys.readouterr().out
    assert ("skipped 1 sub-folder(s), not searched (add --recursive to "
            "segment their images too): ['day2']") in out

    res = tool.main([config, ckpt, str(scans), '--out-dir',
                     str(tmp_path / 'tree'), '--recursive'])
    masks = sorted(osp.relpath(r['mask'], tmp_path / 'tree')
                   for r in res['images'])
    assert masks == ['day2/knee_test_00000.png', 'knee_test_00000.png',
                     'knee_test_00001.png']
    assert res['skipped_dirs'] == [] and res['skipped'] == ['notes.txt']
    # Same image, same mask, wherever it sits.
    a = cv2.imread(str(tmp_path / 'tree' / 'knee_test_00000.png'), 0)
    b = cv2.imread(str(tmp_path / 'tree' / 'day2' / 'knee_test_00000.png'),
                   0)
    assert np.array_equal(a, b)
    assert 'day2/knee_test_00000.png: 64x64 px' in capsys.readouterr().out

    only_subs = tmp_path / 'only_subs'
    (only_subs / 'a').mkdir(parents=True)
    shutil.copy(scans / 'knee_test_00000.png', only_subs / 'a' / 'x.png')
    with pytest.raises(ValueError, match=r"sub-folders \['a'\] were not "
                       'searched: give one of them, or add --recursive'):
        tool.main([config, ckpt, str(only_subs)])
    with pytest.raises(ValueError, match='inside the input folder'):
        tool.main([config, ckpt, str(scans), '--recursive', '--out-dir',
                   str(scans / 'pred')])
