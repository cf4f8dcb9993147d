"""tools/analysis_tools/overlay_slices.py: rows spread over the items with
foreground, one PNG of image | ground truth | prediction with per-class Dice
in each row's title, strict checkpoint loading and clear errors."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

from ussl_mm.apis import load_cfg

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(REPO_ROOT, 'configs', 'unet',
               'unet-tiny_1xb8-adam-500i_knee-us-128_cpu.py')



@pytest.fixture(scope='module')
def knee_root(knee_us_data):
    return str(knee_us_data(num_train=4, num_val=2, num_test=4, size=64))


@pytest.fixture(scope='module')
def unet_ckpt(knee_root, tmp_path_factory):
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = load_cfg(CFG, None, knee_root)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    path = str(tmp_path_factory.mktemp('ckpt') / 'unet.pth')
    save_checkpoint({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def test_pick_indices_spreads_over_foreground_items(load_tool):
    tool = load_tool('analysis_tools/overlay_slices.py')
    areas = [0, 0, 5, 0, 7, 9, 0, 3, 0, 0]
    # Inner quantiles of the items with foreground (2, 4, 5, 7): the thin
    # first and last slices of a structure are skipped.
    assert tool.pick_indices(areas, 2) == [4, 5]
    assert tool.pick_indices(areas, 4) == [2, 4, 5, 7]  # all of them
    assert tool.pick_indices([0, 0, 0], 1) == [1]  # none: all items
    with pytest.raises(ValueError, match='num-slices'):
        tool.pick_indices(areas, 0)


@pytest.mark.slow
def test_cli_writes_png_with_dice_titles(knee_root, unet_ckpt, tmp_path,
                                         load_tool):
    tool = load_tool('analysis_tools/overlay_slices.py')
    out = str(tmp_path / 'overlay.png')
    res = tool.main([
        CFG, unet_ckpt, '--data-root', knee_root, '--out', out,
        '--indices', '0', '1'
    ])
    img = cv2.imread(out)
    # 2 rows x 3 panels (9 x 6 inches).
    assert img is not None and img.shape[1] == pytest.approx(
        1.5 * img.shape[0], rel=0.05)
    assert res['indices'] == [0, 1]
    for row in res['rows']:
        name = row['title'].split('\n')[0]
        assert name.endswith('.png')
        gt = cv2.imread(osp.join(knee_root, 'ann_dir', 'test', name), 0)
        # A title names the Dice exactly when the item has foreground.
        assert ('Dice effusion' in row['title']) == bool((gt > 0).any())


def test_refuses_bad_indices_and_mismatched_checkpoint(
        knee_root, unet_ckpt, tmp_path, load_tool):
    tool = load_tool('analysis_tools/overlay_slices.py')
    with pytest.raises(IndexError, match='outside the 4 items'):
        tool.main([
            CFG, unet_ckpt, '--data-root', knee_root, '--out',
            str(tmp_path / 'x.png'), '--indices', '9'
        ])
    state = torch.load(unet_ckpt, map_location='cpu')['state_dict']
    state.pop(sorted(state)[0])
    bad = str(tmp_path / 'missing_key.pth')
    torch.save({'state_dict': state}, bad)
    with pytest.raises(Exception, match='missing|Missing'):
        tool.main([
            CFG, bad, '--data-root', knee_root, '--out',
            str(tmp_path / 'y.png')
        ])
    assert not osp.exists(str(tmp_path / 'y.png'))


def test_palette_shorter_than_classes_is_refused(knee_root, unet_ckpt,
                                                 tmp_path, load_tool):
    tool = load_tool('analysis_tools/overlay_slices.py')
    with pytest.raises(ValueError, match='palette'):
        tool.main([
            CFG, unet_ckpt, '--data-root', knee_root, '--out',
            str(tmp_path / 'z.png'), '--cfg-options',
            'test_dataloader.dataset.metainfo.palette=[[0,0,0]]'
        ])
    np.testing.assert_equal(osp.exists(str(tmp_path / 'z.png')), False)
