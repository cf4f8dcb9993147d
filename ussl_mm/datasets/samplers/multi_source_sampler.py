# Copyright (c) ussl_mm contributors. All rights reserved.
"""An infinite sampler that fills every batch from several datasets at a
fixed ratio."""
import itertools
from typing import Iterator, List, Optional, Sequence, Union

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.registry import DATA_SAMPLERS
from torch.utils.data import Sampler


@DATA_SAMPLERS.register_module()
class MultiSourceSampler(Sampler):
    """Infinite sampler over a ``ConcatDataset`` whose batches hold a fixed
    number of items of each source (mmdet's ``MultiSourceSampler`` design;
    mmdet is not in our stack).

    For semi-supervised fine-tuning the sources are the labelled images
    (first) and the unlabelled pool: with ``batch_size=16`` and
    ``source_ratio=[1, 1]`` every batch has 8 labelled items followed by 8
    unlabelled ones, however few labelled images there are (each source is
    cycled on its own, reshuffled at every pass). Set the dataloader's
    ``batch_size`` to the same value.

    Args:
        dataset (ConcatDataset): The sources, in order.
        batch_size (int): Items per batch, all sources together.
        source_ratio (list[int | float]): Relative share of each source in a
            batch. The first source takes the rounding remainder.
        shuffle (bool): Reshuffle each source at each pass. Defaults to True.
        seed (int, optional): Shuffle seed (the runner passes
            ``randomness.seed``). Defaults to None (a synced random seed).
    """

    def __init__(self,
                 dataset,
                 batch_size: int,
                 source_ratio: Sequence[Union[int, float]],
                 shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        if not hasattr(dataset, 'cumulative_sizes'):
            raise TypeError(
                'MultiSourceSampler needs a ConcatDataset (labelled first, '
                f'then unlabelled), got {type(dataset).__name__}. Set '
                "train_dataloader.dataset=dict(type='ConcatDataset', "
                'datasets=[labelled, unlabelled]).')
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError('MultiSourceSampler: batch_size must be a '
                             f'positive integer, got {batch_size!r}.')
        ratio = [float(r) for r in source_ratio]
        if len(ratio) != len(dataset.cumulative_sizes) or any(
                r < 0 for r in ratio) or sum(ratio) <= 0:
            raise ValueError(
                f'MultiSourceSampler: source_ratio {list(source_ratio)} must '
                'have one non-negative entry per dataset of the '
                f'ConcatDataset ({len(dataset.cumulative_sizes)}).')
        self.num_per_source = [int(batch_size * r / sum(ratio)) for r in ratio]
        self.num_per_source[0] = batch_size - sum(self.num_per_source[1:])
        starts = [0] + list(dataset.cumulative_sizes[:-1])
        sizes = [len(d) for d in dataset.datasets]
        for i, (num, size) in enumerate(zip(self.num_per_source, sizes)):
            if num > 0 and size == 0:
                raise ValueError(
                    f'MultiSourceSampler: source {i} of the ConcatDataset is '
                    'empty but source_ratio gives it '
                    f'{num} of {batch_size} items per batch.')
        self.dataset = dataset
        self.batch_size = batch_size
        self.source_ratio = ratio
        self.shuffle = shuffle
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else int(seed)
        self._starts = starts
        self._sizes = sizes

    def _source_indices(self, source: int) -> Iterator[int]:
        """This rank's share of an endless stream of the source's (global)
        indices, reshuffled at each pass."""
        g = torch.Generator()
        g.manual_seed(self.seed + source)
        size, start = self._sizes[source], self._starts[source]

        def endless():
            while True:
                order = torch.randperm(size, generator=g) if self.shuffle \
                    else torch.arange(size)
                yield from (start + int(i) for i in order)

        return itertools.islice(endless(), self.rank, None, self.world_size)

    def __iter__(self) -> Iterator[int]:
        streams = [self._source_indices(s) for s in range(len(self._sizes))]
        while True:
            for stream, num in zip(streams, self.num_per_source):
                yield from itertools.islice(stream, num)

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Nothing to do: the sampler is infinite (iteration-based loops)."""
