"""ussl_mm.apis.run: the one builder behind tools/train.py, tools/test.py,
tools/study.py and the t-SNE tool. The data root reaches every dataset of
every kind of config, command lines round-trip, and both README resume
forms resume (and the transfer hook leaves a resumed run alone)."""
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook

from ussl_mm.apis import (build_test_runner, build_train_cfg,
                          build_train_runner, cfg_options_to_argv,
                          format_command, load_cfg, parse_test_args,
                          parse_train_args, run_test)
from ussl_mm.apis.run import leaf_datasets

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FCN_SCRATCH = osp.join(
    REPO, 'configs/fcn/fcn_r18-d8_1xb8-250i_knee-us-128_cpu.py')
FCN_DENSECL = osp.join(
    REPO, 'configs/densecl/benchmarks/'
    'fcn_r18-d8_1xb8-250i_knee-us-128_densecl_cpu.py')
DENSECL = osp.join(
    REPO, 'configs/densecl/densecl_r18_1xb16-coslr-200i_knee-us-128_cpu.py')
DENSECL_STOCK = osp.join(
    REPO, 'configs/densecl/'
    'densecl_r18_stock_1xb16-coslr-200i_knee-us-128_cpu.py')
INPAINT = osp.join(
    REPO, 'configs/context_restoration/'
    'context-restoration_unet-tiny_1xb8-adam-120i_knee-us-128_cpu.py')
FCN_STOCK = osp.join(
    REPO, 'configs/fcn/fcn_r18-d8_stock_1xb8-250i_knee-us-128_cpu.py')
CT_SEG = osp.join(
    REPO, 'configs/context_restoration/benchmarks/'
    'unet-tiny_1xb8-adam-500i_nifti-ct-128_context-restoration_cpu.py')


@pytest.fixture(scope='module')
def knee_root(knee_us_data):
    return str(knee_us_data(num_train=8, num_val=2, num_test=2, size=64,
                            fractions=(50, 100)))


def _roots(cfg):
    roots = []
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if loader:
            roots += [d.get('data_root') for d in leaf_datasets(
                loader['dataset'])]
    return roots


@pytest.mark.parametrize('config', [
    FCN_SCRATCH, FCN_DENSECL, FCN_STOCK, DENSECL, DENSECL_STOCK, INPAINT,
    CT_SEG
])
@pytest.mark.parametrize('how', ['--data-root', '--cfg-options'])
def test_data_root_reaches_every_dataset(config, how, tmp_path):
    root = str(tmp_path)
    argv = [config]
    argv += ['--data-root', root] if how == '--data-root' else [
        '--cfg-options', f'data_root={root}'
    ]
    cfg = build_train_cfg(parse_train_args(argv))
    roots = _roots(cfg)
    assert roots and all(r == root for r in roots), roots
    assert cfg.data_root == root


def test_data_root_inside_dataset_wrappers(tmp_path):
    # ConcatDataset of a RepeatDataset and a plain dataset: every leaf.
    cfg_file = tmp_path / 'wrapped.py'
    cfg_file.write_text(
        f"_base_ = [{FCN_SCRATCH!r}]\n"
        "_leaf = dict(type='KneeUSDataset', data_root='data/knee_us/',\n"
        "             data_prefix=dict(img_path='img_dir/train',\n"
        "                              seg_map_path='ann_dir/train'))\n"
        "train_dataloader = dict(dataset=dict(_delete_=True,\n"
        "    type='ConcatDataset', datasets=[\n"
        "        dict(type='RepeatDataset', times=2, dataset=_leaf), _leaf]))\n")
    root = str(tmp_path / 'mine')
    (tmp_path / 'mine').mkdir()
    cfg = load_cfg(str(cfg_file), data_root=root)
    leaves = list(leaf_datasets(cfg.train_dataloader.dataset))
    assert len(leaves) == 2
    assert all(d['data_root'] == root for d in leaves)
    assert cfg.train_dataloader.dataset.datasets[0].times == 2
    assert all(r == root for r in _roots(cfg))


def test_data_root_is_what_the_dataset_reads(knee_root):
    # Not only the key: the built dataset lists images of the new root.
    from mmengine.registry import DefaultScope
    from mmseg.registry import DATASETS
    cfg = load_cfg(FCN_SCRATCH, data_root=knee_root)
    with DefaultScope.overwrite_default_scope('mmseg'):
        ds = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(ds) == 2
    assert ds.get_data_info(0)['img_path'].startswith(knee_root)


def test_missing_or_conflicting_data_root_is_an_error(tmp_path):
    missing = str(tmp_path / 'nope')
    with pytest.raises(FileNotFoundError, match='nope.*no such folder'):
        load_cfg(FCN_SCRATCH, data_root=missing)
    with pytest.raises(FileNotFoundError, match='--cfg-options data_root'):
        load_cfg(FCN_SCRATCH, cfg_options=dict(data_root=missing))
    with pytest.raises(ValueError, match='disagree'):
        load_cfg(FCN_SCRATCH, cfg_options=dict(data_root=str(tmp_path)),
                 data_root=REPO)


def test_cfg_options_round_trip_through_the_command_line():
    options = {
        'pretrained_encoder': None,
        'pretrained_encoder.checkpoint': 'work_dirs/a/iter_200.pth',
        'train_dataloader.dataset.label_fraction': 5.0,
        'randomness.seed': 2,
        'custom_hooks': [],
        'model.data_preprocessor.mean': [114.18, 114.18, 114.18],
        'model.x': (1,),
        'model.y': [(1, 2), [3, 'a']],
        'default_hooks.checkpoint.save_best': 'mDice',
        'amp': False,
    }
    argv = cfg_options_to_argv(options)
    parsed = parse_train_args(['c.py', '--cfg-options', *argv]).cfg_options
    assert parsed == options
    assert all(type(parsed[k]) is type(v) for k, v in options.items())
    # A logged command splits back into the same argv.
    import shlex
    cmd = format_command('tools/train.py', ['c d.py', '--cfg-options', *argv])
    assert shlex.split(cmd)[2:] == ['c d.py', '--cfg-options', *argv]
    # Nested dicts become dotted keys, merged by mmengine the same way.
    assert cfg_options_to_argv({'train_cfg': {'max_iters': 2, 'x': {
        'y': None}}}) == ['train_cfg.max_iters=2', 'train_cfg.x.y=None']
    for bad, match in ((dict(a=dict(_delete_=True, b=1)), '_delete_'),
                       (dict(a=[dict(b=1)]), 'read back'),
                       (dict(a='x,y'), 'read back'),
                       (dict(a='5'), 'read back'),
                       (dict(a='two words'), 'read back')):
        with pytest.raises(ValueError, match=match):
            cfg_options_to_argv(bad)
    assert parse_train_args(['c.py', '--cfg-options', 'a=[]'
                             ]).cfg_options == {'a': []}


def test_resume_forms_set_mmengine_resume(tmp_path):
    ckpt = tmp_path / 'iter_2.pth'
    ckpt.write_bytes(b'x')
    cfg = build_train_cfg(parse_train_args([FCN_SCRATCH, '--resume']))
    assert cfg.resume is True and cfg.load_from is None
    cfg = build_train_cfg(
        parse_train_args([FCN_SCRATCH, '--resume', str(ckpt)]))
    assert cfg.resume is True and cfg.load_from == str(ckpt)
    # The README's cfg-options form is no longer reset by the tool.
    cfg = build_train_cfg(
        parse_train_args([
            FCN_SCRATCH, '--cfg-options', f'load_from={ckpt}', 'resume=True'
        ]))
    assert cfg.resume is True and cfg.load_from == str(ckpt)
    cfg = build_train_cfg(parse_train_args([FCN_SCRATCH]))
    assert not cfg.get('resume')
    with pytest.raises(FileNotFoundError, match='Cannot resume from'):
        build_train_cfg(
            parse_train_args([FCN_SCRATCH, '--resume',
                              str(tmp_path / 'missing.pth')]))


def _tiny_finetune(tmp_path, pretrained):
    """The FCN CPU config at 32 px, batch 2 (optionally pretrained)."""
    base = FCN_DENSECL if pretrained else FCN_SCRATCH
    path = tmp_path / ('tiny_pre.py' if pretrained else 'tiny.py')
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
        "train_cfg = dict(max_iters=4, val_interval=4)\n"
        "param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9,\n"
        "                        begin=0, end=4, by_epoch=False)]\n"
        "default_hooks = dict(logger=dict(interval=1),\n"
        "                     checkpoint=dict(interval=2, max_keep_ckpts=3))\n")
    return str(path)


class _StartState(Hook):
    """Records the iteration and the backbone weights at train start."""
    priority = 'LOWEST'

    def before_train(self, runner):
        self.iter = runner.iter
        self.conv1 = runner.model.backbone.conv1.weight.detach().clone()


def _pretrain_ckpt(tmp_path):
    from mmengine.runner import save_checkpoint
    from mmseg.models import ResNet
    torch.manual_seed(7)
    enc = ResNet(depth=18, deep_stem=False)
    path = str(tmp_path / 'pretrain.pth')
    save_checkpoint(
        {'state_dict': {'backbone.' + k: v
                        for k, v in enc.state_dict().items()},
         'meta': {}}, path)
    return path, enc.conv1.weight.detach().clone()


def _train(argv):
    runner = build_train_runner(parse_train_args(argv))
    rec = _StartState()
    runner.register_hook(rec)
    runner.train()
    return runner, rec


@pytest.fixture(scope='module')
def trained(knee_root, tmp_path_factory):
    """A pretrained tiny FCN trained 4 iterations (checkpoints at 2 and 4)
    through the tools' builder; the transfer happened at its start."""
    tmp = tmp_path_factory.mktemp('trained')
    config = _tiny_finetune(tmp, pretrained=True)
    pre, pre_conv1 = _pretrain_ckpt(tmp)
    work = str(tmp / 'work')
    common = ['--data-root', knee_root, '--cfg-options',
              f'pretrained_encoder.checkpoint={pre}',
              'train_dataloader.dataset.label_fraction=50']
    runner, rec = _train([config, '--work-dir', work] + common)
    return dict(config=config, work=work, common=common, start=rec,
                pre_conv1=pre_conv1)


def _copy_work(trained, tmp_path):
    import shutil
    work = str(tmp_path / 'work')
    shutil.copytree(trained['work'], work)
    # last_checkpoint holds the absolute path of the original work dir.
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'iter_4.pth'))
    return work


@pytest.mark.slow
def test_fresh_run_transfers_the_encoder(trained):
    assert trained['start'].iter == 0
    torch.testing.assert_close(trained['start'].conv1, trained['pre_conv1'])
    saved = torch.load(osp.join(trained['work'], 'iter_2.pth'),
                       map_location='cpu')['state_dict']
    assert not torch.equal(saved['backbone.conv1.weight'],
                           trained['pre_conv1'])


@pytest.mark.slow
@pytest.mark.parametrize('form', ['--resume PATH', 'cfg-options'])
def test_resume_from_a_file_continues_and_keeps_finetuned_encoder(
        trained, tmp_path, form):
    work = _copy_work(trained, tmp_path)
    ckpt2 = osp.join(work, 'iter_2.pth')
    saved2 = torch.load(ckpt2, map_location='cpu')['state_dict']
    # Resume from the iteration-2 file (not the latest, iter_4).
    base = [trained['config'], '--work-dir', work]
    if form == '--resume PATH':
        argv = base + ['--resume', ckpt2] + trained['common']
    else:
        argv = base + trained['common'] + [f'load_from={ckpt2}',
                                           'resume=True']
    runner, rec = _train(argv)
    assert rec.iter == 2, 'did not resume from the given file'
    assert runner.iter == 4
    # The fine-tuned encoder of iteration 2 was kept, not re-transferred.
    torch.testing.assert_close(rec.conv1, saved2['backbone.conv1.weight'])


@pytest.mark.slow
def test_resume_without_a_path_takes_the_latest(trained, tmp_path):
    work = _copy_work(trained, tmp_path)
    argv = [trained['config'], '--resume', '--work-dir', work
            ] + trained['common'] + ['train_cfg.max_iters=6']
    runner, rec = _train(argv)
    assert rec.iter == 4 and runner.iter == 6
    # Nothing to resume in an empty work dir: a fresh start (the transfer
    # then happens, as in any fresh run).
    cfg = build_train_cfg(parse_train_args(
        [trained['config'], '--resume', '--work-dir',
         str(tmp_path / 'empty')] + trained['common']))
    assert cfg.resume is True and cfg.load_from is None


@pytest.mark.slow
def test_test_builder_loads_strictly_and_writes_metrics(
        trained, knee_root, tmp_path):
    per_image = str(tmp_path / 'per_image.json')
    args = parse_test_args([
        trained['config'], osp.join(trained['work'], 'iter_4.pth'),
        '--work-dir', str(tmp_path / 'test')
    ] + trained['common'] + [f'test_evaluator.per_image_file={per_image}'])
    metrics = run_test(build_test_runner(args))
    assert 0 <= metrics['mDice'] <= 100
    assert osp.isfile(str(tmp_path / 'test' / 'test_metrics.json'))
    assert osp.isfile(per_image)
    # A checkpoint of another model is refused, naming the file.
    from mmengine.runner import save_checkpoint
    bad = str(tmp_path / 'bad.pth')
    save_checkpoint({'state_dict': {'x': torch.zeros(1)}, 'meta': {}}, bad)
    with pytest.raises(RuntimeError, match='bad.pth does not match'):
        build_test_runner(parse_test_args([trained['config'], bad,
                                           '--data-root', knee_root]))
