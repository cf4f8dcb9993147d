"""``<data_root>/pixel_spacing.csv``: the physical pixel size of each image.

Format (one row per image stem; a row with stem ``*`` is the default for
every image not listed)::

    stem,row_spacing_mm,col_spacing_mm
    *,0.1,0.1
    patient1_cine_f0000,0.0812,0.0812

Written by ``tools/dataset_converters/dicom_to_layout.py`` (or by hand);
read by the clinical metrics. Absent, sizes are reported in pixels.
"""
import csv
from typing import Dict, Optional, Tuple

from ..utils.atomic import atomic_open

FIELDS = ('stem', 'row_spacing_mm', 'col_spacing_mm')
FILENAME = 'pixel_spacing.csv'


def read_pixel_spacing_csv(path: str) -> Dict[str, Tuple[float, float]]:
    """``{stem: (row_mm, col_mm)}`` from a pixel-spacing CSV.

    Raises:
        ValueError: On a wrong header, a malformed or non-positive value, or
            a duplicate stem (the error names the file and the line).
    """
    out = {}
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != FIELDS:
            raise ValueError(
                f'{path}: header must be {",".join(FIELDS)}, got '
                f'{",".join(reader.fieldnames or [])!r}.')
        for i, row in enumerate(reader, start=2):
            stem = (row['stem'] or '').strip()
            try:
                r, c = float(row['row_spacing_mm']), float(
                    row['col_spacing_mm'])
            except (TypeError, ValueError):
                raise ValueError(f'{path}:{i}: spacing must be two numbers '
                                 f'in mm, got {row}.') from None
            if not stem or r <= 0 or c <= 0:
                raise ValueError(f'{path}:{i}: needs a stem and positive '
                                 f'spacings, got {row}.')
            if stem in out:
                raise ValueError(f'{path}:{i}: stem {stem!r} listed twice.')
            out[stem] = (r, c)
    return out


def write_pixel_spacing_csv(path: str,
                            spacing: Dict[str, Tuple[float, float]]) -> str:
    """Write ``{stem: (row_mm, col_mm)}`` (``*`` first, then sorted)."""
    with atomic_open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(FIELDS)
        for stem in sorted(spacing, key=lambda s: (s != '*', s)):
            r, c = spacing[stem]
            w.writerow([stem, f'{float(r):.6g}', f'{float(c):.6g}'])
    return path


def spacing_for(stem: str, table: Dict[str, Tuple[float, float]]
                ) -> Optional[Tuple[float, float]]:
    """The row for ``stem``, else the ``*`` default, else None."""
    return table.get(stem, table.get('*'))
