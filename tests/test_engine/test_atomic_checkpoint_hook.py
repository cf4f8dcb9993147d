"""AtomicCheckpointHook: a run stopped after any iteration and resumed with
``tools/train.py --resume`` ends with the weights of the run that was not
interrupted, bit for bit (FCN with dropout, the U-Net, DenseCL with its
queue); the files it leaves are those of mmengine's hook, complete."""
import os
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from resume_configs import tiny_densecl, tiny_fcn, tiny_unet

from ussl_mm.apis import build_train_runner, parse_train_args

# ussl_mm.engine.hooks.atomic_checkpoint_hook.RESUME_KEY
RESUME_KEY = 'resume_state'


@pytest.fixture(scope='module')
def knee_root(knee_us_data):
    return str(knee_us_data(num_train=8, num_val=2, num_test=2, size=64,
                            fractions=None))


class _StopAfter(Hook):
    """Stops the loop after iteration ``k`` (its checkpoint is written, the
    validation due at ``k`` runs), as a kill right after it would."""
    priority = 'LOWEST'

    def __init__(self, k):
        self.k = k

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.k:
            runner.train_loop.stop_training = True


class _StartIter(Hook):
    priority = 'LOWEST'

    def before_train(self, runner):
        self.iter = runner.iter


def _train(config, work_dir, root, stop_after=None, resume=False,
           options=()):
    argv = [config, '--work-dir', str(work_dir), '--data-root', root]
    if resume:
        argv.append('--resume')
    if options:
        argv += ['--cfg-options', *options]
    runner = build_train_runner(parse_train_args(argv))
    start = _StartIter()
    runner.register_hook(start)
    if stop_after:
        runner.register_hook(_StopAfter(stop_after))
    runner.train()
    state = {k: v.detach().clone() for k, v in runner.model.state_dict(
    ).items()}
    return state, start.iter, runner


def _assert_identical(reference, resumed):
    assert reference.keys() == resumed.keys()
    differ = [k for k in reference if not torch.equal(reference[k],
                                                      resumed[k])]
    assert not differ, (f'{len(differ)}/{len(reference)} tensors differ '
                        f'after the resume, first: {differ[:5]}')


def _stop_and_resume(config, root, tmp_path, stop_after, options=()):
    torch.set_num_threads(1)
    reference, _, _ = _train(config, tmp_path / 'ref', root,
                             options=options)
    _train(config, tmp_path / 'cut', root, stop_after=stop_after,
           options=options)
    resumed, start, runner = _train(config, tmp_path / 'cut', root,
                                    resume=True, options=options)
    assert start == stop_after, 'did not resume where the run stopped'
    return reference, resumed, runner


@pytest.fixture(scope='module')
def fcn_reference(knee_root, tmp_path_factory):
    """The tiny FCN trained 8 iterations without interruption."""
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp('fcn')
    config = tiny_fcn(tmp / 'fcn.py')
    state, _, _ = _train(config, tmp / 'ref', knee_root)
    return dict(config=config, state=state, work=tmp / 'ref')


def _best(work_dir):
    names = [n for n in os.listdir(work_dir) if n.startswith('best_')]
    assert len(names) == 1, names
    return names[0], torch.load(osp.join(work_dir, names[0]))['state_dict']


# 3: an ordinary iteration; 4: the checkpoint written after the validation
# of iteration 4 (and the best checkpoint of it).
@pytest.mark.parametrize('stop_after', [3, 4])
def test_fcn_with_dropout_resumes_bit_exactly(knee_root, fcn_reference,
                                              tmp_path, stop_after):
    torch.set_num_threads(1)
    config = fcn_reference['config']
    _train(config, tmp_path / 'cut', knee_root, stop_after=stop_after)
    resumed, start, _ = _train(config, tmp_path / 'cut', knee_root,
                               resume=True)
    assert start == stop_after, 'did not resume where the run stopped'
    _assert_identical(fcn_reference['state'], resumed)
    # The best checkpoint is that of the uninterrupted run: same
    # iteration, same weights.
    ref_name, ref_best = _best(fcn_reference['work'])
    name, best = _best(tmp_path / 'cut')
    assert name == ref_name
    _assert_identical(ref_best, best)


def test_unet_resumes_bit_exactly(knee_root, tmp_path):
    config = tiny_unet(tmp_path / 'unet.py')
    reference, resumed, _ = _stop_and_resume(config, knee_root, tmp_path, 2)
    _assert_identical(reference, resumed)


def test_densecl_resumes_bit_exactly_queue_included(knee_root, tmp_path):
    config = tiny_densecl(tmp_path / 'densecl.py')
    reference, resumed, _ = _stop_and_resume(config, knee_root, tmp_path, 3)
    assert any('queue' in k for k in reference)
    _assert_identical(reference, resumed)


def test_checkpoints_hold_the_random_state_and_nothing_is_left_over(
        fcn_reference):
    work = fcn_reference['work']
    names = sorted(os.listdir(work))
    # What mmengine's hook leaves (max_keep_ckpts=1), and no temporary file.
    pth = [n for n in names if n.endswith('.pth')]
    assert len(pth) == 2 and pth[1] == 'iter_8.pth'
    assert pth[0] in ('best_mDice_iter_4.pth', 'best_mDice_iter_8.pth')
    assert not [n for n in names if n.endswith('.tmp')]
    with open(work / 'last_checkpoint') as f:
        assert f.read() == osp.join(str(work), 'iter_8.pth')
    ckpt = torch.load(work / 'iter_8.pth')  # weights_only
    state = ckpt[RESUME_KEY]
    assert set(state['rng']) == {'python', 'numpy', 'torch', 'cuda'}
    assert state['data']['batches'] == 8 and state['data']['batch_size'] == 2
    assert state['data']['sampler'] == 'InfiniteSampler'
    assert state['num_threads'] == 1
    # The message hub of the last checkpoint names the best file that
    # exists, and keeps one iteration checkpoint.
    hub = ckpt['message_hub']['runtime_info']
    assert osp.isfile(hub['best_ckpt'])
    assert hub['keep_ckpt_ids'] == [8]


def test_library_checkpoint_resumes_with_a_warning(knee_root, tmp_path):
    """A work dir written by mmengine's CheckpointHook (no random state)
    still resumes; the log says the resume is not bit-exact."""
    from mmengine.logging import MMLogger
    torch.set_num_threads(1)
    config = tiny_fcn(tmp_path / 'fcn.py', max_iters=4, val_interval=4)
    stock = ['default_hooks.checkpoint.type=CheckpointHook']
    _train(config, tmp_path / 'w', knee_root, stop_after=2, options=stock)
    assert RESUME_KEY not in torch.load(tmp_path / 'w' / 'iter_2.pth')
    _, start, runner = _train(config, tmp_path / 'w', knee_root,
                              resume=True)
    assert start == 2 and runner.iter == 4
    log = open(MMLogger.get_current_instance().log_file).read()
    assert 'without a random state' in log
