# Copyright (c) ussl_mm contributors. All rights reserved.
"""Keep a mean teacher: the exponential moving average of the student."""
import math

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class MeanTeacherHook(Hook):
    """Update a semi-supervised model's ``teacher`` as the EMA of its
    ``student``, and ramp up its unsupervised loss weight (mmdet's
    ``MeanTeacherHook`` design, plus the sigmoid ramp-up of Mean Teacher,
    https://arxiv.org/abs/1703.01780).

    At train start (not on resume: the checkpoint holds the teacher) the
    student is copied into the teacher, after
    :class:`PretrainedEncoderHook` (priority ``VERY_HIGH``) has loaded any
    pretrained weights into the student. After every iteration
    ``teacher = (1 - momentum) * teacher + momentum * student`` for the
    parameters (and the buffers, unless ``skip_buffers``). Before every
    iteration it sets ``model.unsup_ramp`` to ``exp(-5 (1 - t)^2)`` with
    ``t = min(1, iter / (rampup_ratio * max_iters))`` (1 when
    ``rampup_ratio`` is 0), so that pseudo-labels from a teacher that has
    not learnt yet weigh little. A ratio of the run's iterations, so that
    the ramp moves with the schedule (a study changes ``max_iters``).
    Why not mmengine's ``EMAHook``: it averages the *whole* model into a
    separate copy used for evaluation, whereas here the average must be the
    teacher module that the model itself uses for its pseudo-labels.

    Args:
        momentum (float): Weight of the student in each update, in (0, 1].
            Defaults to 0.01 (a time constant of about 100 iterations, for
            the CPU-scale schedules of a few hundred to a few thousand
            iterations; GPU schedules of 40k iterations use 0.001).
        interval (int): Update every ``interval`` iterations. Defaults to 1.
        rampup_ratio (float): Share of the run's iterations over which the
            unsupervised weight ramps up, in [0, 1]. Defaults to 0.0 (full
            weight from the start).
        skip_buffers (bool): Copy buffers instead of averaging them.
            Defaults to False.
    """

    # After PretrainedEncoderHook (VERY_HIGH) and FreezeThenUnfreezeHook
    # (HIGH): the teacher starts from the transferred student.
    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 momentum: float = 0.01,
                 interval: int = 1,
                 rampup_ratio: float = 0.0,
                 skip_buffers: bool = False) -> None:
        if not 0 < momentum <= 1:
            raise ValueError('MeanTeacherHook: momentum must be in (0, 1], '
                             f'got {momentum}.')
        if int(interval) < 1 or not 0.0 <= rampup_ratio <= 1.0:
            raise ValueError(
                'MeanTeacherHook: interval must be >= 1 and rampup_ratio in '
                f'[0, 1], got {interval} and {rampup_ratio}.')
        self.momentum = float(momentum)
        self.interval = int(interval)
        self.rampup_ratio = float(rampup_ratio)
        self.rampup_iters = 0
        self.skip_buffers = skip_buffers

    @staticmethod
    def _model(runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not (hasattr(model, 'teacher') and hasattr(model, 'student')):
            raise TypeError(
                f'MeanTeacherHook needs a model with `teacher` and `student` '
                f'(e.g. MeanTeacherSegmentor), got {type(model).__name__}. '
                'Remove the hook from custom_hooks or use a semi-supervised '
                'model.')
        return model

    def ramp(self, it: int) -> float:
        """The unsupervised-weight factor at iteration ``it``."""
        if self.rampup_iters == 0:
            return 1.0
        t = min(1.0, it / self.rampup_iters)
        return math.exp(-5.0 * (1.0 - t)**2)

    def before_train(self, runner) -> None:
        """Copy the student into the teacher (unless resuming)."""
        model = self._model(runner)
        self.rampup_iters = int(round(self.rampup_ratio * runner.max_iters))
        if runner.iter == 0:
            self.momentum_update(model, 1.0)
            print_log('MeanTeacherHook: teacher initialised from the student.',
                      logger='current')

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        """Set the ramp of the unsupervised loss."""
        model = self._model(runner)
        model.unsup_ramp = self.ramp(runner.iter)
        runner.message_hub.update_scalar('train/unsup_ramp', model.unsup_ramp)

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        """Move the teacher towards the student."""
        if (runner.iter + 1) % self.interval == 0:
            self.momentum_update(self._model(runner), self.momentum)

    @torch.no_grad()
    def momentum_update(self, model, momentum: float) -> None:
        """``teacher = (1 - momentum) * teacher + momentum * student``."""
        student = dict(model.student.named_parameters())
        for name, param in model.teacher.named_parameters():
            param.data.mul_(1 - momentum).add_(
                student[name].data, alpha=momentum)
        student_buffers = dict(model.student.named_buffers())
        for name, buf in model.teacher.named_buffers():
            src = student_buffers[name]
            if self.skip_buffers or momentum == 1.0 or \
                    not buf.dtype.is_floating_point:
                buf.data.copy_(src.data)
            else:
                buf.data.mul_(1 - momentum).add_(src.data, alpha=momentum)
