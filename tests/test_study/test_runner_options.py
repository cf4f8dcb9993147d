"""How the study assembles each fine-tuning run's --cfg-options."""
import os.path as osp

import pytest

from ussl_mm.study import LabelEfficiencyStudy, StudySpec
from ussl_mm.study.runner import FinetuneRun

UNET = ('configs/context_restoration/benchmarks/'
        'unet-tiny_context-restoration-pre_adam-lr1e-3-500it_knee-us-128_cpu.py')


@pytest.fixture
def study(monkeypatch):
    monkeypatch.chdir(osp.dirname(osp.dirname(osp.dirname(__file__))))
    spec = StudySpec.fromfile('configs/study/inpainting_knee_us.py')
    return LabelEfficiencyStudy(spec, log=lambda *_: None)


def test_inpainting_preset_rows_differ_only_in_initialisation(study):
    inits = {i.name: i for i in study.spec.initialisations}
    assert set(inits) == {'scratch', 'context_restoration'}
    assert inits['scratch'].config == inits['context_restoration'].config
    ckpts = {'context_restoration': 'w/pre/iter_120.pth'}
    scratch = study.finetune_options(
        FinetuneRun(inits['scratch'], 5, 1), ckpts)
    pre = study.finetune_options(
        FinetuneRun(inits['context_restoration'], 5, 1), ckpts)
    assert scratch == {
        'custom_hooks': [],
        'train_dataloader.dataset.label_fraction': 5,
        'randomness.seed': 1,
    }
    assert pre == {
        'train_dataloader.dataset.label_fraction': 5,
        'randomness.seed': 1,
        'custom_hooks.0.checkpoint': 'w/pre/iter_120.pth',
    }


def test_pretrained_init_without_a_transfer_hook_is_refused(study):
    from ussl_mm.study.spec import Initialisation
    broken = Initialisation(
        name='oops', config=UNET, pretrain='context_restoration',
        cfg_options=dict(custom_hooks=[]))
    with pytest.raises(ValueError, match='PretrainedEncoderHook'):
        study.finetune_options(FinetuneRun(broken, 100, 0),
                               {'context_restoration': 'x.pth'})
