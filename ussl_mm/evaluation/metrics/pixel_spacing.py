"""Pixel spacing of 2-D images from ``<data_root>/pixel_spacing.csv``."""
import csv
import os.path as osp
from typing import Dict, Optional, Tuple

SPACING_FILE = 'pixel_spacing.csv'
SPACING_COLUMNS = ('stem', 'row_spacing_mm', 'col_spacing_mm')


def read_pixel_spacing(path: str) -> Dict[str, Tuple[float, float]]:
    """Read a pixel-spacing CSV.

    The file has the header ``stem,row_spacing_mm,col_spacing_mm`` and one
    row per image (``stem`` = file name without extension); a row with stem
    ``*`` is the default for every image not listed.

    Args:
        path (str): The CSV file.

    Returns:
        dict[str, tuple[float, float]]: stem -> (row, column) spacing in mm.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: Wrong header, a duplicate stem, or a spacing that is not
            a positive number; the message names the file and the line.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Pixel-spacing file not found: {path}')
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        header = tuple(h.strip() for h in (reader.fieldnames or ()))
        if set(header) != set(SPACING_COLUMNS):
            raise ValueError(
                f'Pixel-spacing file {path} has the header {header}; '
                f'expected the columns {",".join(SPACING_COLUMNS)} (one row '
                'per image stem, or a row with stem * as the default).')
        spacing = {}
        for line, row in enumerate(reader, start=2):
            row = {k.strip(): (v or '').strip() for k, v in row.items()}
            stem = row['stem']
            if stem in spacing:
                raise ValueError(f'Pixel-spacing file {path}, line {line}: '
                                 f'stem {stem!r} is listed twice.')
            try:
                values = (float(row['row_spacing_mm']),
                          float(row['col_spacing_mm']))
            except ValueError:
                values = None
            if values is None or not all(v > 0 for v in values):
                raise ValueError(
                    f'Pixel-spacing file {path}, line {line}: spacings must '
                    'be positive numbers of millimetres, got '
                    f'{row["row_spacing_mm"]!r}, {row["col_spacing_mm"]!r}.')
            spacing[stem] = values
    return spacing


def find_spacing_file(img_path: str, levels: int = 3) -> Optional[str]:
    """The ``pixel_spacing.csv`` of an image's data root, if any.

    The metric does not know the dataset's ``data_root``, so it looks in the
    image's folder and its ancestors, ``levels`` folders in all: in the mmseg
    layout ``<data_root>/img_dir/<split>/<image>`` the third is the data
    root.

    Args:
        img_path (str): Path of the image.
        levels (int): Number of folders to look in. Defaults to 3.

    Returns:
        str | None: The first file found, or None.
    """
    folder = osp.dirname(osp.abspath(img_path))
    for _ in range(levels):
        candidate = osp.join(folder, SPACING_FILE)
        if osp.isfile(candidate):
            return candidate
        parent = osp.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return None


def image_stem(path: str) -> str:
    """File name without its (last) extension, as used in the CSV."""
    return osp.splitext(osp.basename(path))[0]


def spacing_for(spacing: Dict[str, Tuple[float, float]], img_path: str,
                source: str) -> Tuple[float, float]:
    """Spacing of one image: its own row, else the ``*`` row.

    Raises:
        ValueError: Neither exists; names the image, the file and the fix.
    """
    stem = image_stem(img_path)
    if stem in spacing:
        return spacing[stem]
    if '*' in spacing:
        return spacing['*']
    raise ValueError(
        f'Image {img_path} (stem {stem!r}) has no row in the pixel-spacing '
        f'file {source}, which has no default row either. Add a row '
        f'"{stem},<row mm>,<col mm>" or a default row "*,<row mm>,<col mm>".')
