"""Finding, identifying and decoding the image and mask files of a data set.

One place decides which files are images (every common suffix, in any
case), which are DICOM, how a mask is decoded (palette PNGs as label
indices, as mmseg does), and how a colour frame becomes gray, so that the
datasets, the split tool, the statistics tool and the loading transforms
agree on every file.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

#: Suffixes read as images (compared case-insensitively: ``.PNG`` and
#: ``.Jpg`` are images too).
IMG_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')
#: Suffixes read as DICOM; files without a suffix are DICOM when they carry
#: the ``DICM`` preamble marker.
DICOM_SUFFIXES = ('.dcm', '.dicom')
#: Lossy formats: never valid for masks (compression invents label values).
LOSSY_SUFFIXES = ('.jpg', '.jpeg')

_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def normalise_suffixes(suffixes: Union[None, str, Sequence[str]],
                       default: Sequence[str] = IMG_SUFFIXES
                       ) -> Tuple[str, ...]:
    """Lower-cased tuple of suffixes; None gives ``default``."""
    if suffixes is None:
        suffixes = default
    if isinstance(suffixes, str):
        suffixes = (suffixes, )
    out = tuple(str(s).lower() for s in suffixes)
    if not out or not all(out):
        raise ValueError(f'Suffixes must be non-empty strings, got '
                         f'{suffixes!r}.')
    return out


def match_suffix(name: str, suffixes: Sequence[str]) -> Optional[str]:
    """The longest of ``suffixes`` that ``name`` ends with, ignoring case.

    Returns the suffix as it is spelled in ``name`` (``'.PNG'``), or None.
    """
    low = name.lower()
    best = None
    for s in suffixes:
        if low.endswith(s) and len(name) > len(s) and (
                best is None or len(s) > len(best)):
            best = s
    return None if best is None else name[-len(best):]


def list_files(folder: str, recursive: bool = True) -> List[str]:
    """Every file under ``folder`` as a sorted relative path (``/``).

    Hidden files (``.DS_Store``) are listed too: callers decide what a file
    is and report what they do not use.
    """
    out = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        dirnames.sort()
        rel = osp.relpath(dirpath, folder)
        for f in filenames:
            out.append(f if rel == '.' else osp.join(rel, f))
        if not recursive:
            break
    return sorted(out)


def is_dicom_file(path: str) -> bool:
    """True for a ``.dcm``/``.dicom`` file or a suffix-less file whose
    128-byte preamble is followed by ``DICM``."""
    name = osp.basename(path)
    if match_suffix(name, DICOM_SUFFIXES):
        return True
    if osp.splitext(name)[1]:
        return False
    try:
        with open(path, 'rb') as f:
            head = f.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:] == b'DICM'


def stem_map(files: Sequence[str], suffixes: Sequence[str]
             ) -> Tuple[Dict[str, str], Dict[str, List[str]], List[str]]:
    """Group relative paths by stem (path without suffix).

    Args:
        files (Sequence[str]): Relative paths.
        suffixes (Sequence[str]): Lower-case suffixes to match.

    Returns:
        tuple: ``(stems, duplicates, others)``: ``stem -> relative path``
        for files with one of ``suffixes``; ``stem -> [paths]`` for stems
        found with more than one suffix (e.g. ``a.png`` and ``a.jpg``);
        the relative paths that have none of ``suffixes``.
    """
    stems, dup, others = {}, {}, []
    for f in files:
        s = match_suffix(osp.basename(f), suffixes)
        if s is None:
            others.append(f)
            continue
        stem = f[:-len(s)]
        if stem in stems:
            dup.setdefault(stem, [stems[stem]]).append(f)
        else:
            stems[stem] = f
    return stems, dup, others


def read_bytes(path: str, what: str = 'Image',
               backend_args: Optional[dict] = None) -> bytes:
    """The bytes of a file; a missing, unreadable or empty file is an error
    that names it."""
    import mmengine.fileio as fileio
    try:
        buf = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'{what} file not found: {path}') from None
    except Exception as e:  # permission, backend errors
        raise OSError(f'Could not read {what} file {path}: {e}') from e
    if len(buf) == 0:
        raise ValueError(
            f'{what} file {path} is empty (0 bytes): an interrupted copy or '
            'export. Re-export it, or delete it (and remove its stem from '
            'the split files).')
    return buf


def decode_image(buf: bytes, path: str, what: str = 'Image') -> np.ndarray:
    """Decode image bytes with OpenCV, keeping bit depth and channels
    (BGR order for colour)."""
    arr = cv2.imdecode(np.frombuffer(buf, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ValueError(
            f'{what} file {path} is corrupt or not an image OpenCV can decode '
            f'({len(buf)} bytes). Re-export it as 8-bit PNG/JPG or remove it '
            'from the data set and its split files.')
    return arr


def is_palette_png(buf: bytes) -> bool:
    """True when PNG bytes declare colour type 3 (indexed / palette)."""
    # IHDR: 8-byte signature, 4 length, 4 'IHDR', 4 width, 4 height,
    # 1 bit depth, then the colour type byte at offset 25.
    return (len(buf) > 25 and buf[:8] == _PNG_SIGNATURE
            and buf[12:16] == b'IHDR' and buf[25] == 3)


def decode_mask(buf: bytes, path: str) -> np.ndarray:
    """Decode mask bytes to label values.

    A palette ('P' mode, VOC-style) PNG gives its palette indices, which are
    the labels; this is what mmseg's ``LoadAnnotations`` (Pillow backend)
    does. OpenCV would expand it to its colours. Other files are decoded
    unchanged (HxW, or HxWxC when the file has channels).
    """
    if is_palette_png(buf):
        import io

        from PIL import Image
        try:
            with Image.open(io.BytesIO(buf)) as im:
                return np.array(im, dtype=np.uint8)
        except Exception as e:  # truncated/corrupt: Pillow raises several
            raise ValueError(
                f'Mask file {path} is a corrupt palette PNG ({len(buf)} '
                f'bytes): {e}. Re-export it.') from e
    return decode_image(buf, path, 'Mask')


def read_mask(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read a mask file as label values (see :func:`decode_mask`)."""
    return decode_mask(read_bytes(path, 'Mask', backend_args), path)


def mask_to_single_channel(seg: np.ndarray, path: str) -> np.ndarray:
    """Reduce an HxWxC mask whose channels are equal to HxW; a colour
    rendering is refused."""
    if seg.ndim == 2:
        return seg
    if seg.ndim == 3 and all((seg[..., c] == seg[..., 0]).all()
                             for c in range(1, seg.shape[2])):
        return seg[..., 0]
    raise ValueError(
        f'Mask {path} is a colour image ({seg.shape[2]} channels that '
        'differ, not a palette PNG); expected a single-channel label image '
        '(0 = background, 1..K-1 = classes) or a palette PNG whose indices '
        'are the labels. Convert the colours to label indices.')


def header(path: str) -> dict:
    """Size and pixel format of an image file from its header only.

    Args:
        path (str): Image file.

    Returns:
        dict: ``height``, ``width``, ``mode`` (Pillow mode, e.g. 'L', 'RGB',
        'P', 'I;16') and ``bits`` (8 or 16 or 32).

    Raises:
        ValueError: When the header cannot be parsed (the error names the
            file).
    """
    from PIL import Image
    try:
        with Image.open(path) as im:
            w, h = im.size
            mode = im.mode
    except Exception as e:  # UnidentifiedImageError, OSError, bombs
        raise ValueError(f'{path}: not a readable image header ({e})') from e
    bits = 16 if mode.startswith('I;16') else (32 if mode in ('I', 'F')
                                               else 8)
    return dict(height=h, width=w, mode=mode, bits=bits)


def to_gray(img: np.ndarray) -> np.ndarray:
    """HxW gray from an HxW, HxWx1, HxWx3 (BGR) or HxWx4 (BGRA) array.

    Luminance with OpenCV's ITU-R BT.601 weights (0.299 R + 0.587 G +
    0.114 B), the same weights the Y of DICOM's YBR_FULL uses.
    """
    if img.ndim == 2:
        return img
    if img.ndim == 3 and img.shape[2] == 1:
        return img[..., 0]
    if img.ndim == 3 and img.shape[2] in (3, 4):
        return cv2.cvtColor(np.ascontiguousarray(img[..., :3]),
                            cv2.COLOR_BGR2GRAY)
    raise ValueError(f'Cannot convert an array of shape {img.shape} to gray.')


def color_overlay_mask(img: np.ndarray, min_chroma: int) -> np.ndarray:
    """Pixels of an 8-bit BGR image whose chroma (max - min over the
    channels) is at least ``min_chroma``: colour Doppler, coloured
    annotations, ECG traces. Gray B-mode pixels have chroma near 0 (a few
    levels after JPEG compression)."""
    c = img[..., :3].astype(np.int16)
    return (c.max(axis=2) - c.min(axis=2)) >= min_chroma


def convert_color(img: np.ndarray,
                  rgb_to_gray: bool = True,
                  color_overlay: str = 'keep',
                  overlay_min_chroma: int = 48) -> np.ndarray:
    """Gray conversion and overlay suppression of an 8-bit BGR(A) image.

    Args:
        img (np.ndarray): uint8 HxWx3 (BGR) or HxWx4 (BGRA).
        rgb_to_gray (bool): Return HxW luminance. Defaults to True.
        color_overlay (str): ``'keep'`` (coloured pixels keep their
            luminance), ``'zero'`` (set to 0) or ``'inpaint'`` (filled from
            their surroundings, ``cv2.inpaint`` Telea, radius 3). Defaults
            to 'keep'.
        overlay_min_chroma (int): See :func:`color_overlay_mask`. Defaults
            to 48.

    Returns:
        np.ndarray: uint8 HxW (gray) or HxWx3 (BGR).
    """
    img = np.ascontiguousarray(img[..., :3])
    over = None
    if color_overlay != 'keep':
        over = color_overlay_mask(img, overlay_min_chroma)
    if rgb_to_gray:
        img = to_gray(img)
    if color_overlay == 'zero':
        img = img.copy()
        img[over] = 0
    elif color_overlay == 'inpaint' and over.any():
        img = cv2.inpaint(img, over.astype(np.uint8), 3, cv2.INPAINT_TELEA)
    elif color_overlay not in ('keep', 'zero', 'inpaint'):
        raise ValueError("color_overlay must be 'keep', 'zero' or "
                         f"'inpaint', got {color_overlay!r}.")
    return img
