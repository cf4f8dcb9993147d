"""Unlabelled images from one or more folders, for self-supervised
pretraining."""
import os.path as osp
from typing import List, Optional, Sequence, Union

import mmengine
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmpretrain.registry import DATASETS

from .dicom import dicom_num_frames, read_dicom_header
from .image_files import (IMG_SUFFIXES, header, is_dicom_file, list_files,
                          match_suffix, normalise_suffixes)
from .us_seg_dataset import check_data_root, find_transform
from .validation import Problems, _report_unused

__all__ = ['UnlabelledImageDataset', 'IMG_SUFFIXES']


@DATASETS.register_module()
class UnlabelledImageDataset(BaseDataset):
    """Images found recursively under one or more roots, without labels.

    Mixes sources (``repeats`` oversamples a small one) and guarantees that
    held-out images never leak into pretraining: ``exclude`` lists folders
    (every image under them, matched by real path) and split files (stems,
    one a line, matched by file stem). Works with mmpretrain ``MultiView`` +
    ``PackInputs``; each data info is ``dict(img_path=...)`` (plus
    ``frame_index`` for DICOM), to be loaded by
    :class:`ussl_mm.datasets.transforms.LoadUSImage`.

    Images are found by suffix in any case (``.png``, ``.PNG``, ``.Jpg``,
    ...). DICOM files (``.dcm``, ``.dicom``, or suffix-less with the DICM
    marker) are read too, single- or multi-frame: every
    ``dicom_frame_step``-th frame of a cine loop becomes a sample. Other
    files are logged as not used, never dropped silently. With
    ``validate=True`` every image header is read at build time and empty
    (0-byte), unreadable and (unless the loader converts them) 16-bit files
    are refused together, each named.

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
        data_root (str): Defaults to ''. A data_root that does not exist is
            an error.
        pipeline (list): Defaults to ().
        dicom_frame_step (int): Use every N-th frame of a multi-frame DICOM
            (consecutive cine frames are near duplicates). Defaults to 1.
        validate (bool): Read every image header at build time. Defaults to
            True.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self,
                 roots: Union[str, List[str]],
                 repeats: Optional[Sequence[int]] = None,
                 exclude: Optional[Sequence[str]] = None,
                 suffixes: Sequence[str] = IMG_SUFFIXES,
                 data_root: str = '',
                 pipeline: Sequence = (),
                 dicom_frame_step: int = 1,
                 validate: bool = True,
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
        if int(dicom_frame_step) < 1:
            raise ValueError(
                f'dicom_frame_step must be >= 1, got {dicom_frame_step}.')
        self.repeats = [int(r) for r in repeats]
        self.exclude = list(exclude or [])
        self.suffixes = normalise_suffixes(suffixes)
        self.dicom_frame_step = int(dicom_frame_step)
        self.validate = validate
        super().__init__(
            ann_file='', data_root=data_root, pipeline=pipeline, **kwargs)

    def _abs(self, path: str) -> str:
        return path if osp.isabs(path) or not self.data_root else osp.join(
            self.data_root, path)

    def _scan(self, folder: str, report: bool = False):
        """``(images, dicoms)`` under ``folder`` (absolute paths)."""
        images, dicoms, unused = [], [], []
        for rel in list_files(folder):
            path = osp.join(folder, rel)
            if match_suffix(osp.basename(rel), self.suffixes):
                images.append(path)
            elif is_dicom_file(path):
                dicoms.append(path)
            else:
                unused.append(rel)
        if report:
            _report_unused(folder, unused,
                           f'images ({", ".join(self.suffixes)}) or DICOM')
        return images, dicoms

    def _check_images(self, paths: Sequence[str], problems: Problems) -> None:
        loader = find_transform(self.pipeline, 'LoadUSImage')
        allow_16bit = loader is not None and loader.convert_16bit != 'refuse'
        for p in paths:
            if osp.getsize(p) == 0:
                problems.add('empty image (0 bytes)', p,
                             'an interrupted copy or export: re-export or '
                             'delete the file.')
                continue
            try:
                h = header(p)
            except ValueError as e:
                problems.add('unreadable image', str(e),
                             'the file is corrupt or not an image; re-export '
                             'or delete it.')
                continue
            if h['bits'] > 8 and not (allow_16bit and h['bits'] == 16):
                problems.add(
                    f'{h["bits"]}-bit image', f'{p} (mode {h["mode"]})',
                    "set LoadUSImage(convert_16bit='minmax') or "
                    "convert_16bit='shift', or export 8-bit images.")

    def _frames(self, path: str, problems: Problems) -> List[dict]:
        if osp.getsize(path) == 0:
            problems.add('empty DICOM file (0 bytes)', path,
                         'an interrupted copy or export: re-export or delete '
                         'the file.')
            return []
        try:
            ds = read_dicom_header(path)
        except ValueError as e:
            problems.add('unreadable DICOM file or no image in it', str(e),
                         'move non-image DICOM objects (reports, DICOMDIR) '
                         'out of the pretraining roots, or re-export the '
                         'file.')
            return []
        n = dicom_num_frames(ds)
        return [dict(img_path=path, frame_index=k)
                for k in range(0, n, self.dicom_frame_step)]

    def load_data_list(self) -> List[dict]:
        check_data_root(self.data_root, type(self).__name__)
        excl_paths, excl_stems = set(), set()
        for item in self.exclude:
            path = self._abs(item)
            if osp.isdir(path):
                imgs, dcms = self._scan(path)
                excl_paths.update(osp.realpath(p) for p in imgs + dcms)
            elif osp.isfile(path):
                excl_stems.update(
                    osp.splitext(osp.basename(ln.strip()))[0]
                    for ln in mmengine.list_from_file(path) if ln.strip())
            else:
                raise FileNotFoundError(
                    f'exclude entry not found: {path}. It must be a folder '
                    'or a split file; a missing held-out set cannot be '
                    'guaranteed to stay out of pretraining.')

        def kept(paths):
            return [p for p in paths
                    if osp.realpath(p) not in excl_paths and osp.splitext(
                        osp.basename(p))[0] not in excl_stems]

        data_list, problems = [], Problems()
        for root, rep in zip(self.roots, self.repeats):
            folder = self._abs(root)
            if not osp.isdir(folder):
                raise FileNotFoundError(
                    f'Pretraining root not found: {folder}')
            images, dicoms = self._scan(folder, report=True)
            if not images and not dicoms:
                raise FileNotFoundError(
                    f'Pretraining root {folder} holds no images with suffixes '
                    f'{self.suffixes} (any case) and no DICOM files.')
            k_images, k_dicoms = kept(images), kept(dicoms)
            if not k_images and not k_dicoms:
                raise ValueError(
                    f'Every image under {folder} is excluded by {self.exclude}'
                    '; nothing is left to pretrain on.')
            n_excl = len(images) + len(dicoms) - len(k_images) - len(k_dicoms)
            if n_excl:
                print_log(
                    'UnlabelledImageDataset: excluded '
                    f'{n_excl} held-out file(s) from {folder}',
                    logger='current')
            if self.validate:
                self._check_images(k_images, problems)
            infos = [dict(img_path=p) for p in k_images]
            for p in k_dicoms:
                infos += self._frames(p, problems)
            if k_dicoms:
                print_log(
                    f'UnlabelledImageDataset: {folder}: {len(k_dicoms)} DICOM '
                    f'file(s) give {len(infos) - len(k_images)} frame(s) '
                    f'(every {self.dicom_frame_step}. frame)',
                    logger='current')
            data_list += sorted(infos, key=lambda d: (
                d['img_path'], d.get('frame_index', 0))) * rep
        problems.raise_if_any(
            f'UnlabelledImageDataset check of {self.roots} (data_root '
            f'{self.data_root!r})')
        return data_list
