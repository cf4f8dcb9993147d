"""Masking the burned-in user interface around the ultrasound sector.

Scanner exports carry text, scales, logos, body markers and ECG traces
outside the imaged sector. Left in, a network can learn them (and a
pretraining can match two views by their labels instead of their anatomy).
The sector is the largest connected region that is not dark; thin
annotations touching it are cut off by a morphological opening, and the
sector is taken as the convex hull of that region, so anechoic structures
at its edge (an effusion, a vessel) stay inside.
"""
from typing import Optional

import cv2
import numpy as np


def auto_sector_mask(frames: np.ndarray,
                     dark_thresh: int = 8,
                     open_px: int = 5,
                     min_fraction: float = 0.05) -> np.ndarray:
    """The ultrasound sector of one frame or of a cine loop.

    Args:
        frames (np.ndarray): uint8 HxW frame or TxHxW loop (gray). For a loop
            the per-pixel maximum over time is used: the sector holds moving
            speckle, so it is bright somewhere in time.
        dark_thresh (int): Gray levels ``<= dark_thresh`` count as dark
            background. Defaults to 8.
        open_px (int): Size of the square opening that detaches text and
            lines from the sector. Defaults to 5.
        min_fraction (float): The sector must cover at least this fraction
            of the frame; a smaller "largest region" means the threshold did
            not find a sector (e.g. a very dark loop). Defaults to 0.05.

    Returns:
        np.ndarray: bool HxW, True inside the sector.

    Raises:
        ValueError: When no region large enough is found.
    """
    ref = frames if frames.ndim == 2 else frames.max(axis=0)
    if ref.ndim != 2:
        raise ValueError(f'auto_sector_mask expects HxW or TxHxW gray, got '
                         f'{frames.shape}.')
    raw = (ref > dark_thresh).astype(np.uint8)
    fg = raw
    if open_px > 1:
        k = cv2.getStructuringElement(cv2.MORPH_RECT, (open_px, open_px))
        fg = cv2.morphologyEx(raw, cv2.MORPH_OPEN, k)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    if n <= 1:
        raise ValueError('auto_sector_mask: every pixel is dark (<= '
                         f'{dark_thresh}); no sector found.')
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    frac = stats[largest, cv2.CC_STAT_AREA] / float(ref.size)
    if frac < min_fraction:
        raise ValueError(
            f'auto_sector_mask: the largest non-dark region covers only '
            f'{frac:.1%} of the frame (< {min_fraction:.0%}); give a sector '
            'mask file instead, or lower dark_thresh.')
    region = (labels == largest).astype(np.uint8)
    if open_px > 1:
        # give back the sector's own thin parts (its apex, edge pixels) that
        # the opening removed: non-dark pixels within open_px of the region
        region = cv2.dilate(region, k) & raw
    pts = cv2.findNonZero(region)
    hull = cv2.convexHull(pts)
    mask = np.zeros(ref.shape, np.uint8)
    cv2.fillConvexPoly(mask, hull, 1)
    return mask.astype(bool)


def load_sector_mask(path: str, shape) -> np.ndarray:
    """A user's sector mask file (non-zero = keep), checked against the
    frame size."""
    m = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if m is None:
        raise ValueError(f'Sector mask {path} is missing or not an image.')
    if m.shape != tuple(shape[:2]):
        raise ValueError(
            f'Sector mask {path} is {m.shape[0]}x{m.shape[1]} but the frames '
            f'are {shape[0]}x{shape[1]}; one mask serves frames of one size.')
    return m > 0


def apply_sector_mask(img: np.ndarray,
                      mask: Optional[np.ndarray]) -> np.ndarray:
    """Set every pixel outside ``mask`` to 0 (a copy; HxW or HxWxC)."""
    if mask is None:
        return img
    out = img.copy()
    out[~mask] = 0
    return out
