"""Find and look up ``<data_root>/pixel_spacing.csv`` for an image.

The file format, its reader and writer live in
:mod:`ussl_mm.datasets.pixel_spacing`; this module adds what a metric needs
on top: finding the file from an image path (a metric does not know the
dataset's ``data_root``) and refusing an image the file does not cover.
"""
import os.path as osp
from typing import Dict, Optional, Tuple

from ussl_mm.datasets.pixel_spacing import FILENAME


def find_spacing_file(img_path: str, levels: int = 3) -> Optional[str]:
    """The ``pixel_spacing.csv`` of an image's data root, if any.

    Looks in the image's folder and its ancestors, ``levels`` folders in
    all: in the mmseg layout ``<data_root>/img_dir/<split>/<image>`` the
    third is the data root.

    Args:
        img_path (str): Path of the image.
        levels (int): Number of folders to look in. Defaults to 3.

    Returns:
        str | None: The first file found, or None.
    """
    folder = osp.dirname(osp.abspath(img_path))
    for _ in range(levels):
        candidate = osp.join(folder, FILENAME)
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


def spacing_of_image(table: Dict[str, Tuple[float, float]], img_path: str,
                     source: str) -> Tuple[float, float]:
    """Spacing of one image: its own row, else the ``*`` row.

    Args:
        table (dict): ``{stem: (row_mm, col_mm)}`` as read by
            :func:`ussl_mm.datasets.pixel_spacing.read_pixel_spacing_csv`.
        img_path (str): The image.
        source (str): The CSV the table came from (for the message).

    Returns:
        tuple[float, float]: Row and column spacing in mm.

    Raises:
        ValueError: Neither row exists; names the image, the file and the
            fix (a file that covers some images but not this one would
            otherwise mix mm^2 and pixels).
    """
    stem = image_stem(img_path)
    spacing = table.get(stem, table.get('*'))
    if spacing is None:
        raise ValueError(
            f'Image {img_path} (stem {stem!r}) has no row in the '
            f'pixel-spacing file {source}, which has no default row either. '
            f'Add a row "{stem},<row mm>,<col mm>" or a default row '
            '"*,<row mm>,<col mm>".')
    return spacing
