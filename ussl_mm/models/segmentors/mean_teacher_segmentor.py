# Copyright (c) ussl_mm contributors. All rights reserved.
"""A mean-teacher segmentor that uses unlabelled images while fine-tuning."""
import copy
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import Tensor

#: The branches of a semi-supervised batch (mmdet's names).
BRANCHES = ('sup', 'unsup_teacher', 'unsup_student')

_TRAIN_CFG_KEYS = ('sup_weight', 'unsup_weight', 'unsup_loss', 'threshold',
                   'class_keep_ratio', 'cutmix_prob', 'cutmix_area')
_UNSUP_LOSSES = ('pseudo_label', 'mse')


def pseudo_labels(probs: Tensor,
                  threshold: float = 0.0,
                  ignore_index: int = 255,
                  class_keep_ratio: Optional[float] = None,
                  valid: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """Hard pseudo-labels from class probabilities, unconfident pixels
    ignored.

    Two rules, applied together:

    * ``threshold``: an absolute confidence floor (FixMatch's tau);
    * ``class_keep_ratio``: per predicted class, keep only the most
      confident ``class_keep_ratio`` of its pixels in the batch. Unlike an
      absolute floor it does not depend on how calibrated the teacher is (a
      segmentor trained for a few hundred iterations with CE + Dice may
      never exceed 0.7 on the rare class, so tau = 0.95 would drop every
      foreground pixel and teach "background everywhere"), and a rare class
      keeps the same share of its pixels as a frequent one.

    Args:
        probs (Tensor): (N, C, H, W) class probabilities.
        threshold (float): Minimum max-probability of a kept pixel, in
            [0, 1]. Defaults to 0.0 (no floor).
        ignore_index (int): Label of the dropped pixels. Defaults to 255.
        class_keep_ratio (float, optional): In (0, 1]. Defaults to None (no
            per-class selection).
        valid (Tensor, optional): (N, H, W) bool, pixels that may be kept
            (e.g. not padding); the per-class ratios count only these.
            Defaults to None (all).

    Returns:
        tuple[Tensor, Tensor]: (N, H, W) long labels (``ignore_index`` where
        dropped) and (N, H, W) confidence.
    """
    conf, labels = probs.max(dim=1)
    keep = conf >= threshold
    if valid is not None:
        keep &= valid
    if class_keep_ratio is not None and class_keep_ratio < 1.0:
        for c in labels[keep].unique().tolist():
            sel = keep & (labels == c)
            cut = torch.quantile(conf[sel].float(), 1.0 - class_keep_ratio)
            keep &= ~sel | (conf >= cut)
    labels = labels.masked_fill(~keep, ignore_index)
    return labels, conf


def cutmix_boxes(n: int, height: int, width: int, area: Tuple[float, float],
                 generator: Optional[torch.Generator] = None,
                 device=None) -> Tensor:
    """(N, H, W) bool masks, each one box of ``area`` (a range of fractions
    of the image) at a random place."""
    masks = torch.zeros(n, height, width, dtype=torch.bool, device=device)
    lo, hi = area
    for i in range(n):
        frac = lo + (hi - lo) * torch.rand(1, generator=generator).item()
        aspect = torch.empty(1).uniform_(0.5, 2.0, generator=generator).item()
        bh = int(round(min(height, (frac * height * width * aspect)**0.5)))
        bw = int(round(min(width, frac * height * width / max(bh, 1))))
        y = torch.randint(0, height - bh + 1, (1, ),
                          generator=generator).item()
        x = torch.randint(0, width - bw + 1, (1, ), generator=generator).item()
        masks[i, y:y + bh, x:x + bw] = True
    return masks


@MODELS.register_module()
class MeanTeacherSegmentor(BaseSegmentor):
    """Semi-supervised segmentation with an EMA teacher and confident
    pseudo-labels (Mean Teacher, https://arxiv.org/abs/1703.01780, with
    FixMatch's thresholded hard labels on a strong view,
    https://arxiv.org/abs/2001.07685, and CutMix between unlabelled
    images, https://arxiv.org/abs/1906.01916).

    mmdet's ``SemiBaseDetector`` design, written for mmseg (mmdet is not in
    our stack and its class is detection-specific): a ``student`` and a
    ``teacher`` built from the same segmentor config; batches with three
    branches (``'sup'``: labelled images; ``'unsup_teacher'``: a weak view of
    the unlabelled images; ``'unsup_student'``: a strong view of the same
    crops), produced by the :class:`~ussl_mm.datasets.transforms.MultiBranch`
    transform, the :class:`~ussl_mm.datasets.samplers.MultiSourceSampler`
    and :class:`~ussl_mm.models.data_preprocessors.MultiBranchSegDataPreProcessor`.
    The teacher gets no gradient; :class:`~ussl_mm.engine.hooks.MeanTeacherHook`
    copies the student into it at the start and updates it as an exponential
    moving average after every iteration.

    The loss is ``sup_weight * L(student(sup), gt) + unsup_weight * w(t) *
    L(student(strong), pseudo)``, where ``L`` is the segmentor's own decode
    loss (e.g. CE + batch Dice), ``pseudo`` is the teacher's argmax on the
    weak view with its least confident pixels ignored (:func:`pseudo_labels`), and ``w(t)`` is a
    ramp set by :class:`~ussl_mm.engine.hooks.MeanTeacherHook` (1 when no
    hook sets it). The strong view differs from the weak one only in
    intensity (and CutMix), so the pseudo-label is aligned pixel for pixel.
    Prediction uses the teacher by default (``semi_test_cfg.predict_on``).

    Args:
        segmentor (dict): The segmentor config (e.g. the U-Net's
            ``EncoderDecoder``), built twice.
        semi_train_cfg (dict, optional): ``sup_weight`` (default 1.0),
            ``unsup_weight`` (default 1.0), ``threshold`` (default 0.0) and
            ``class_keep_ratio`` (default None), see :func:`pseudo_labels`,
            ``unsup_loss``: ``'pseudo_label'`` (default; the segmentor's
            decode loss on the hard pseudo-labels) or ``'mse'`` (Mean
            Teacher's consistency on the class probabilities; threshold and
            class_keep_ratio do not apply),
            ``cutmix_prob`` (default 0.5), ``cutmix_area`` (default
            (0.25, 0.5), fractions of the crop). Unknown keys are refused.
        semi_test_cfg (dict, optional): ``predict_on``: ``'teacher'``
            (default) or ``'student'``.
        data_preprocessor (dict, optional): Usually a
            ``MultiBranchSegDataPreProcessor``. Defaults to None.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
        pretrained, train_cfg, test_cfg: Accepted as None only (mmseg's
            ``init_model`` sets them on every model); they belong inside
            ``segmentor``.
    """

    def __init__(self,
                 segmentor: dict,
                 semi_train_cfg: Optional[dict] = None,
                 semi_test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        # mmseg's init_model (inference) sets these to None on any model.
        given = {k: v for k, v in dict(pretrained=pretrained,
                                       train_cfg=train_cfg,
                                       test_cfg=test_cfg).items() if v}
        if given:
            raise ValueError(
                f'MeanTeacherSegmentor: {sorted(given)} belong to the '
                'segmentor it wraps: set model.segmentor.<key> instead of '
                'model.<key>.')
        semi_train_cfg = dict(semi_train_cfg or {})
        unknown = sorted(set(semi_train_cfg) - set(_TRAIN_CFG_KEYS))
        if unknown:
            raise ValueError(
                f'MeanTeacherSegmentor: unknown semi_train_cfg key(s) '
                f'{unknown}; the keys are {list(_TRAIN_CFG_KEYS)}.')
        self.sup_weight = float(semi_train_cfg.get('sup_weight', 1.0))
        self.unsup_weight = float(semi_train_cfg.get('unsup_weight', 1.0))
        self.unsup_loss = semi_train_cfg.get('unsup_loss', 'pseudo_label')
        if self.unsup_loss not in _UNSUP_LOSSES:
            raise ValueError(
                'MeanTeacherSegmentor: semi_train_cfg.unsup_loss must be one '
                f'of {_UNSUP_LOSSES}, got {self.unsup_loss!r}.')
        self.threshold = float(semi_train_cfg.get('threshold', 0.0))
        ratio = semi_train_cfg.get('class_keep_ratio', None)
        self.class_keep_ratio = None if ratio is None else float(ratio)
        if self.class_keep_ratio is not None and not \
                0.0 < self.class_keep_ratio <= 1.0:
            raise ValueError(
                'MeanTeacherSegmentor: semi_train_cfg.class_keep_ratio must '
                f'be in (0, 1] or None, got {ratio}.')
        self.cutmix_prob = float(semi_train_cfg.get('cutmix_prob', 0.5))
        self.cutmix_area = tuple(semi_train_cfg.get('cutmix_area',
                                                    (0.25, 0.5)))
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError('MeanTeacherSegmentor: semi_train_cfg.threshold '
                             f'must be in [0, 1], got {self.threshold}.')
        semi_test_cfg = dict(semi_test_cfg or {})
        self.predict_on = semi_test_cfg.get('predict_on', 'teacher')
        if self.predict_on not in ('teacher', 'student'):
            raise ValueError(
                "MeanTeacherSegmentor: semi_test_cfg.predict_on must be "
                f"'teacher' or 'student', got {self.predict_on!r}.")
        self.student = MODELS.build(copy.deepcopy(segmentor))
        self.teacher = MODELS.build(copy.deepcopy(segmentor))
        for param in self.teacher.parameters():
            param.requires_grad = False
        self.teacher.eval()
        #: The ramp factor w(t) of the unsupervised loss, set each iteration
        #: by MeanTeacherHook.
        self.unsup_ramp = 1.0
        self.ignore_index = getattr(self.student.decode_head, 'ignore_index',
                                    255)

    # The segmentor interface delegates to the model that predicts.
    @property
    def _predictor(self) -> nn.Module:
        return self.teacher if self.predict_on == 'teacher' else self.student

    @property
    def num_classes(self) -> int:
        return self.student.num_classes

    def train(self, mode: bool = True) -> 'MeanTeacherSegmentor':
        """Set the mode; the teacher always stays in eval mode (no dropout
        in pseudo-labelling)."""
        super().train(mode)
        self.teacher.eval()
        return self

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        return self._predictor.extract_feat(inputs)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]):
        return self._predictor.encode_decode(inputs, batch_img_metas)

    def predict(self, inputs: Tensor, data_samples=None):
        return self._predictor.predict(inputs, data_samples)

    def _forward(self, inputs: Tensor, data_samples=None):
        return self._predictor._forward(inputs, data_samples)

    def loss(self, inputs: Dict[str, Tensor],
             data_samples: Dict[str, List[SegDataSample]]) -> dict:
        """The supervised and the pseudo-label losses of a multi-branch
        batch.

        Args:
            inputs (dict[str, Tensor]): Branch -> (N, C, H, W) images.
            data_samples (dict[str, list[SegDataSample]]): Branch -> samples.

        Returns:
            dict: ``sup_*`` and ``unsup_*`` losses and logs, plus
            ``unsup_mask_ratio`` (share of unlabelled pixels above the
            threshold) and ``unsup_fg_ratio`` (share of pseudo-labelled
            pixels that are foreground).
        """
        if not isinstance(inputs, dict):
            raise TypeError(
                'MeanTeacherSegmentor.loss needs a multi-branch batch '
                f'(a dict with keys {BRANCHES}), got {type(inputs).__name__}. '
                'Use the MultiBranch transform in the train pipelines and '
                "data_preprocessor=dict(type='MultiBranchSegDataPreProcessor')"
                '.')
        losses = {}
        if 'sup' in inputs:
            sup = self.student.loss(inputs['sup'], data_samples['sup'])
            losses.update(_renamed('sup_', sup, self.sup_weight))
        if 'unsup_student' in inputs:
            if 'unsup_teacher' not in inputs:
                raise KeyError(
                    'MeanTeacherSegmentor: the batch has an unsup_student '
                    'branch but no unsup_teacher branch; the MultiBranch '
                    'transform of the unlabelled pipeline must produce both.')
            losses.update(
                self._unsup_loss(inputs['unsup_teacher'],
                                 inputs['unsup_student'],
                                 data_samples['unsup_student']))
        return losses

    def _unsup_loss(self, weak: Tensor, strong: Tensor,
                    samples: List[SegDataSample]) -> dict:
        if weak.shape != strong.shape:
            raise ValueError(
                'MeanTeacherSegmentor: the weak and strong views must share '
                f'their geometry, got {tuple(weak.shape)} and '
                f'{tuple(strong.shape)}. Put geometric transforms before '
                'MultiBranch and only intensity transforms inside it.')
        with torch.no_grad():
            probs = _full_logits(self.teacher, weak).float().softmax(dim=1)
            valid = torch.zeros_like(probs[:, 0], dtype=torch.bool)
            for i, sample in enumerate(samples):
                h, w = sample.metainfo.get('img_shape', weak.shape[2:])
                valid[i, :h, :w] = True
            labels, conf = pseudo_labels(probs, self.threshold,
                                         self.ignore_index,
                                         self.class_keep_ratio, valid)
            if self.cutmix_prob > 0 and strong.shape[0] > 1:
                n, _, h, w = strong.shape
                use = torch.rand(n, device=strong.device) < self.cutmix_prob
                box = cutmix_boxes(
                    n, h, w, self.cutmix_area,
                    device=strong.device) & use[:, None, None]
                perm = torch.roll(torch.arange(n, device=strong.device), 1)
                strong = torch.where(box[:, None], strong[perm], strong)
                labels = torch.where(box, labels[perm], labels)
                probs = torch.where(box[:, None], probs[perm], probs)
                valid = torch.where(box, valid[perm], valid)
        weight = self.unsup_weight * self.unsup_ramp
        if self.unsup_loss == 'mse':
            return self._consistency_loss(strong, probs, valid, weight)
        pseudo = []
        for sample, label in zip(samples, labels):
            new = SegDataSample(metainfo=sample.metainfo)
            new.gt_sem_seg = PixelData(data=label[None])
            pseudo.append(new)
        kept = labels != self.ignore_index
        losses = _renamed('unsup_', self.student.loss(strong, pseudo), weight)
        losses['unsup_mask_ratio'] = kept.float().mean()
        losses['unsup_fg_ratio'] = ((labels > 0) & kept).float().sum() / \
            kept.float().sum().clamp(min=1)
        return losses

    def _consistency_loss(self, strong: Tensor, target: Tensor, valid: Tensor,
                          weight: float) -> dict:
        """Mean Teacher's consistency: the mean squared difference between
        the student's class probabilities on the strong view and the
        teacher's on the weak one, over the valid (unpadded) pixels. Soft
        targets: an unsure teacher pulls the student gently, where a hard
        pseudo-label would push it all the way."""
        logits = _full_logits(self.student, strong)
        diff = (logits.float().softmax(dim=1) - target).pow(2).sum(dim=1)
        loss = diff[valid].mean() if valid.any() else diff.sum() * 0
        fg = (target.argmax(dim=1) > 0) & valid
        return dict(
            unsup_loss_mse=loss * weight,
            unsup_mask_ratio=valid.float().mean(),
            unsup_fg_ratio=fg.float().sum() / valid.float().sum().clamp(min=1))


def _full_logits(segmentor: nn.Module, inputs: Tensor) -> Tensor:
    """Class logits over the whole padded batch, at the input size
    (``encode_decode`` would resize to the unpadded ``img_shape``; the
    caller ignores the padding)."""
    head = segmentor.decode_head
    return resize(
        head.forward(segmentor.extract_feat(inputs)),
        size=inputs.shape[2:],
        mode='bilinear',
        align_corners=head.align_corners)


def _renamed(prefix: str, losses: dict, weight: float) -> dict:
    """``losses`` with ``prefix`` on every key and ``weight`` on every
    ``loss*`` entry (mmdet's ``rename_loss_dict`` + ``reweight_loss_dict``)."""
    out = {}
    for key, value in losses.items():
        if 'loss' in key:
            if isinstance(value, (list, tuple)):
                value = [v * weight for v in value]
            else:
                value = value * weight
        out[prefix + key] = value
    return out
