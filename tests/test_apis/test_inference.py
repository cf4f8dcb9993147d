"""ussl_mm.apis.init_segmentor: a model that mmseg's own inference_model
runs on our configs, with the config's preprocessing, the checkpoint's
weights (loaded strictly) and the dataset's classes."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.apis import inference_model
from mmseg.registry import MODELS

from ussl_mm.apis import (inference_pipeline, init_segmentor, load_cfg,
                          merge_data_preprocessor)
from ussl_mm.datasets import KneeUSDataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FCN = osp.join(REPO, 'configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py')
UNET = osp.join(REPO,
                'configs/unet/unet-tiny_1xb8-adam-500i_knee-us-128_cpu.py')
DENSECL = osp.join(
    REPO, 'configs/densecl/densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py')
CT = osp.join(REPO,
              'configs/unet/unet-tiny_1xb8-adam-500i_nifti-ct-128_cpu.py')


def _image(root):
    return osp.join(root, 'img_dir', 'test', 'knee_test_00000.png')


def _state(ckpt):
    return torch.load(ckpt, map_location='cpu')['state_dict']


def _logits_by_hand(config, state, path):
    """The config's model with ``state``, on the image normalised here (gray
    replicated to 3 channels, the config's mean/std), without mmseg's
    pipeline or preprocessor."""
    cfg = load_cfg(config)
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)  # no data_preprocessor: done below
    model.load_state_dict(state)
    model.eval()
    gray = cv2.imread(path, cv2.IMREAD_UNCHANGED).astype(np.float32)
    mean = np.array(cfg.data_preprocessor.mean, np.float32)
    std = np.array(cfg.data_preprocessor.std, np.float32)
    x = (np.repeat(gray[..., None], 3, axis=2) - mean) / std
    x = torch.from_numpy(x).permute(2, 0, 1)[None]
    with torch.no_grad():
        return model.encode_decode(x, [dict(img_shape=gray.shape)])[0]


def test_mmseg_inference_model_runs_with_config_preprocessing(
        unet_knee_checkpoint):
    config, ckpt, root = unet_knee_checkpoint
    model = init_segmentor(config, ckpt)
    pre = model.data_preprocessor
    assert type(pre).__name__ == 'SegDataPreProcessor'
    cfg_pre = load_cfg(config).data_preprocessor
    assert pre.mean.flatten().tolist() == pytest.approx(cfg_pre.mean)
    assert pre.std.flatten().tolist() == pytest.approx(cfg_pre.std)
    assert [t['type'] for t in model.cfg.test_pipeline] == [
        'LoadUSImage', 'PackSegInputs']
    assert model.dataset_meta['classes'] == KneeUSDataset.METAINFO['classes']
    assert not model.training

    result = inference_model(model, _image(root))
    gray = cv2.imread(_image(root), cv2.IMREAD_UNCHANGED)
    assert tuple(result.pred_sem_seg.data.shape) == (1, ) + gray.shape


def test_prediction_is_the_checkpoint_models_forward(unet_knee_checkpoint):
    config, ckpt, root = unet_knee_checkpoint
    model = init_segmentor(config, ckpt)
    result = inference_model(model, _image(root))
    expected = _logits_by_hand(config, _state(ckpt), _image(root))
    torch.testing.assert_close(result.seg_logits.data, expected,
                               rtol=1e-4, atol=1e-4)
    assert torch.equal(result.pred_sem_seg.data[0],
                       expected.argmax(dim=0))
    # Other weights give other logits: the comparison can fail.
    torch.manual_seed(1)
    init_default_scope('mmseg')
    fresh = MODELS.build(load_cfg(config).model)
    fresh.init_weights()
    other = _logits_by_hand(config, fresh.state_dict(), _image(root))
    assert not torch.allclose(other, expected, atol=1e-3)


@pytest.mark.parametrize('change,words', [
    ('missing', ['1 missing, 0 unexpected',
                 'decode_head.conv_seg.bias']),
    ('extra', ['0 missing, 1 unexpected', 'decode_head.extra.weight']),
    ('pretraining', ['looks like a pretraining', 'Fine-tune first',
                     "'neck'"]),
])
def test_mismatched_checkpoint_is_refused(unet_knee_checkpoint, tmp_path,
                                          change, words):
    config, ckpt, _ = unet_knee_checkpoint
    state = _state(ckpt)
    if change == 'missing':
        del state['decode_head.conv_seg.bias']
    elif change == 'extra':
        state['decode_head.extra.weight'] = torch.zeros(1)
    else:  # an encoder + neck, as a self-supervised pretraining saves
        state = {k: v for k, v in state.items() if k.startswith('backbone.')}
        state['neck.mlp.0.weight'] = torch.zeros(4, 4)
    bad = str(tmp_path / f'{change}.pth')
    torch.save({'state_dict': state, 'meta': {}}, bad)
    with pytest.raises(RuntimeError) as err:
        init_segmentor(config, bad)
    msg = str(err.value)
    assert bad in msg and config in msg
    for w in words:
        assert w in msg


def test_classes_from_config_when_checkpoint_has_none(unet_knee_checkpoint,
                                                      tmp_path):
    config, ckpt, _ = unet_knee_checkpoint
    bare = str(tmp_path / 'bare.pth')
    torch.save({'state_dict': _state(ckpt)}, bare)
    model = init_segmentor(config, bare)
    assert model.dataset_meta['classes'] == ('background', 'effusion')
    assert model.dataset_meta['palette'] == KneeUSDataset.METAINFO['palette']


@pytest.mark.parametrize('config', [FCN, UNET])
def test_our_configs_are_prepared_like_the_runner(config):
    cfg = merge_data_preprocessor(load_cfg(config))
    assert cfg.model.data_preprocessor == cfg.data_preprocessor
    assert [t['type'] for t in inference_pipeline(cfg)] == [
        'LoadUSImage', 'PackSegInputs']


def test_every_annotation_loader_is_removed():
    load = dict(type='LoadUSImage')
    cfg = Config(dict(test_pipeline=[
        load, dict(type='LoadAnnotations'),
        dict(type='mmseg.LoadAnnotations', reduce_zero_label=True),
        dict(type='LoadUSAnnotations'),
        dict(type='LoadBiomedicalAnnotation'),
        dict(type='PackSegInputs')
    ]))
    assert inference_pipeline(cfg) == [load, dict(type='PackSegInputs')]
    # The test dataloader's pipeline (what tools/test.py scores) wins.
    cfg.test_dataloader = dict(dataset=dict(pipeline=[
        dict(type='LoadUSImage', sector_mask='auto'),
        dict(type='LoadUSAnnotations'), dict(type='PackSegInputs')]))
    assert inference_pipeline(cfg)[0] == dict(type='LoadUSImage',
                                              sector_mask='auto')


def test_model_data_preprocessor_wins_and_a_typeless_one_is_refused():
    cfg = Config(dict(model=dict(type='EncoderDecoder',
                                 data_preprocessor=dict(type='Own')),
                      data_preprocessor=dict(type='SegDataPreProcessor')))
    assert merge_data_preprocessor(cfg).model.data_preprocessor == dict(
        type='Own')
    cfg.model.data_preprocessor = dict(mean=[1, 1, 1])
    with pytest.raises(ValueError, match=r'has no type .*Override '
                       r'data_preprocessor\.mean=\.\.\. \(top level\)'):
        merge_data_preprocessor(cfg)


@pytest.mark.parametrize('config,words', [
    (DENSECL, 'it is a pretraining config'),
    (CT, 'NIfTI volumes sliced by NiftiSliceDataset'),
])
def test_configs_that_cannot_read_image_files_are_refused(config, words):
    with pytest.raises(ValueError, match=words):
        inference_pipeline(load_cfg(config))
