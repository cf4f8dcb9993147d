"""Unlabelled images from one or more folders, for self-supervised
pretraining."""
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

import mmengine
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmpretrain.registry import DATASETS

IMG_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')


@DATASETS.register_module()
class UnlabelledImageDataset(BaseDataset):
    """Images found recursively under one or more roots, without labels.

    Mixes sources (``repeats`` oversamples a small one) and guarantees that
    held-out images never leak into pretraining: ``exclude`` lists folders
    (every image under them, matched by real path) and split files (stems,
    one a line, matched by file stem). Works with mmpretrain ``MultiView`` +
    ``PackInputs``; each data info is ``dict(img_path=...)``, to be loaded by
    :class:`ussl_mm.datasets.transforms.LoadUSImage`.

    Args:
        roots (str | list[str]): Folders to search, relative to
            ``data_root`` unless absolute.
        repeats (Sequence[int], optional): How often each root's images are
            listed. Defaults to None (once each).
        exclude (Sequence[str], optional): Folders or split files (relative
            to ``data_root`` unless absolute) whose images must never
            appear. Defaults to None.
        suffixes (Sequence[str]): Image suffixes (case-insensitive).
            Defaults to ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff').
        data_root (str): Defaults to ''.
        pipeline (list): Defaults to ().
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self,
                 roots: Union[str, List[str]],
                 repeats: Optional[Sequence[int]] = None,
                 exclude: Optional[Sequence[str]] = None,
                 suffixes: Sequence[str] = IMG_SUFFIXES,
                 data_root: str = '',
                 pipeline: Sequence = (),
                 **kwargs) -> None:
        self.roots = [roots] if isinstance(roots, str) else list(roots)
        if not self.roots:
            raise ValueError('UnlabelledImageDataset needs at least one root.')
        if repeats is None:
            repeats = [1] * len(self.roots)
        if len(repeats) != len(self.roots) or any(
                int(r) < 1 or int(r) != r for r in repeats):
            raise ValueError(
                'repeats must hold one integer >= 1 per root: '
                f'{len(self.roots)} roots {self.roots}, got '
                f'repeats={list(repeats)}.')
        self.repeats = [int(r) for r in repeats]
        self.exclude = list(exclude or [])
        self.suffixes = tuple(s.lower() for s in suffixes)
        super().__init__(
            ann_file='', data_root=data_root, pipeline=pipeline, **kwargs)

    def _abs(self, path: str) -> str:
        return path if osp.isabs(path) or not self.data_root else osp.join(
            self.data_root, path)

    def _scan(self, folder: str) -> List[str]:
        found = []
        for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
            dirnames.sort()
            found += [osp.join(dirpath, f) for f in sorted(filenames)
                      if f.lower().endswith(self.suffixes)]
        return found

    def load_data_list(self) -> List[dict]:
        excl_paths, excl_stems = set(), set()
        for item in self.exclude:
            path = self._abs(item)
            if osp.isdir(path):
                excl_paths.update(osp.realpath(p) for p in self._scan(path))
            elif osp.isfile(path):
                excl_stems.update(
                    osp.splitext(osp.basename(ln.strip()))[0]
                    for ln in mmengine.list_from_file(path) if ln.strip())
            else:
                raise FileNotFoundError(
                    f'exclude entry not found: {path}. It must be a folder '
                    'or a split file; a missing held-out set cannot be '
                    'guaranteed to stay out of pretraining.')
        data_list = []
        for root, rep in zip(self.roots, self.repeats):
            folder = self._abs(root)
            if not osp.isdir(folder):
                raise FileNotFoundError(
                    f'Pretraining root not found: {folder}')
            files = self._scan(folder)
            if not files:
                raise FileNotFoundError(
                    f'Pretraining root {folder} holds no images with suffixes '
                    f'{self.suffixes}.')
            kept = [p for p in files
                    if osp.realpath(p) not in excl_paths and osp.splitext(
                        osp.basename(p))[0] not in excl_stems]
            if not kept:
                raise ValueError(
                    f'Every image under {folder} is excluded by {self.exclude}'
                    '; nothing is left to pretrain on.')
            if len(kept) < len(files):
                print_log(
                    'UnlabelledImageDataset: excluded '
                    f'{len(files) - len(kept)} held-out image(s) from '
                    f'{folder}', logger='current')
            data_list += [dict(img_path=p) for p in kept] * rep
        return data_list
