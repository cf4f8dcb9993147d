"""Constants and builders of the tiny study used by the study tests."""
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DENSECL = osp.join(
    REPO, 'configs/densecl/densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py')
FCN_SCRATCH = osp.join(
    REPO, 'configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py')
FCN_DENSECL = osp.join(
    REPO, 'configs/densecl/benchmarks/'
    'fcn_r18-d8_1xb8-250i_knee-us-128_densecl_cpu.py')
UNET = osp.join(
    REPO, 'configs/context_restoration/benchmarks/'
    'unet-tiny_1xb8-adam-500i_knee-us-128_context-restoration_cpu.py')


def finetune_config(path, base):
    path.write_text(
        f"_base_ = [{base!r}]\n"
        "data_preprocessor = dict(size=(32, 32))\n"
        "_train = [dict(type='LoadUSImage'), dict(type='LoadUSAnnotations'),\n"
        "          dict(type='USRandomResizedCrop', size=(32, 32)),\n"
        "          dict(type='PackSegInputs')]\n"
        "_test = [dict(type='LoadUSImage'),\n"
        "         dict(type='Resize', scale=(32, 32), keep_ratio=True),\n"
        "         dict(type='LoadUSAnnotations'), dict(type='PackSegInputs')]\n"
        "train_dataloader = dict(batch_size=2, dataset=dict(pipeline=_train))\n"
        "val_dataloader = dict(dataset=dict(pipeline=_test))\n"
        "test_dataloader = dict(dataset=dict(pipeline=_test))\n"
        "default_hooks = dict(logger=dict(interval=1))\n")
    return str(path)


def tiny_study_dict(configs, root, work_dir, **kwargs):
    """The ``study`` dict of a tiny study (override keys with kwargs)."""
    study = dict(
        name='tiny',
        work_dir=str(work_dir),
        data_root=root,
        synthetic_if_absent=None,
        split_seed=0,
        data_stats=True,
        pretrain=dict(densecl=dict(config=configs['pretrain'])),
        initialisations=dict(
            scratch=dict(config=configs['scratch']),
            densecl=dict(config=configs['densecl'], pretrain='densecl')),
        baseline='scratch',
        best_supervised='scratch',
        label_fractions=[100],
        seeds=[0],
        amp=False,
        schedule=dict(epochs=1, min_iters=2, num_vals=1, save_best='mDice'),
        tsne=dict(enabled=True, split='test', perplexity=2.0),
        clinical=True,
    )
    study.update(kwargs)
    return study
