"""The tensor a fine-tuning model sees for an image equals the one the
pretraining model saw (mmselfsup#205 was a channel-order mismatch)."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG_DIR = osp.join(REPO_ROOT, 'configs/_base_/datasets')


def _finetune_tensor(path, mask_path, **load_kw):
    cfg = Config.fromfile(osp.join(CFG_DIR, 'knee-us_seg-256.py'))
    assert cfg.test_pipeline[0].type == 'LoadUSImage'
    cfg.test_pipeline[0].update(load_kw)
    with DefaultScope.overwrite_default_scope('mmseg'):
        pipe = Compose(cfg.test_pipeline)
        data = pipe(dict(img_path=path, seg_map_path=mask_path,
                         num_classes=2, seg_fields=[]))
        pre = SEG_MODELS.build(cfg.data_preprocessor)
        out = pre(dict(inputs=[data['inputs']],
                       data_samples=[data['data_samples']]), training=False)
    return out['inputs'][0]


def _pretrain_tensor(path, **load_kw):
    cfg = Config.fromfile(osp.join(CFG_DIR, 'knee-us_2view-224.py'))
    load, multiview, pack = cfg.train_pipeline
    assert load.type == 'LoadUSImage' and multiview.type == 'MultiView'
    load.update(load_kw)
    # same loading and packing, random view augmentation removed
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipe = Compose([load, dict(multiview, transforms=[[]]), pack])
        batch = default_collate([pipe(dict(img_path=path))])
        pre = PRETRAIN_MODELS.build(cfg.data_preprocessor)
        out = pre(batch, training=False)
    return out['inputs'][0][0]  # view 0, sample 0


@pytest.mark.parametrize('kind', ['gray', 'rgb', 'rgb_kept'])
def test_same_tensor_in_pretraining_and_finetuning(tmp_path, kind):
    crop = Config.fromfile(osp.join(CFG_DIR, 'knee-us_seg-256.py')).crop_size
    rng = np.random.default_rng(0)
    h, w = crop
    if kind == 'gray':
        img = rng.integers(0, 256, (h, w), dtype=np.uint8)
    else:  # distinct channels catch any BGR/RGB mismatch
        img = np.stack([np.full((h, w), v, np.uint8) for v in (10, 120, 240)],
                       axis=2)
        img[: h // 2] = rng.integers(0, 256, (h // 2, w, 3), dtype=np.uint8)
    path, mpath = str(tmp_path / 'a.png'), str(tmp_path / 'a_mask.png')
    cv2.imwrite(path, img)
    cv2.imwrite(mpath, np.zeros((h, w), np.uint8))
    load_kw = dict(rgb_to_gray=False) if kind == 'rgb_kept' else {}
    ft = _finetune_tensor(path, mpath, **load_kw)
    pt = _pretrain_tensor(path, **load_kw)
    assert ft.shape == pt.shape == (3, h, w)
    torch.testing.assert_close(ft, pt, rtol=0, atol=1e-5)
    mean, std = 114.18, 79.95
    if kind == 'rgb_kept':
        # channel 0 is R (the file's third BGR channel) in both stages
        torch.testing.assert_close(
            pt[0, -1, 0], torch.tensor((240 - mean) / std), rtol=0,
            atol=1e-4)
    else:
        # default: colour frames become gray (BT.601 luminance), replicated
        assert torch.equal(pt[0], pt[1]) and torch.equal(pt[1], pt[2])
    if kind == 'rgb':
        gray = round(0.299 * 240 + 0.587 * 120 + 0.114 * 10)
        torch.testing.assert_close(
            pt[0, -1, 0], torch.tensor((gray - mean) / std), rtol=0,
            atol=1e-4)
