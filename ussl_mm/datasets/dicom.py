"""Reading ultrasound DICOM: frames as 8-bit gray (or BGR), and pixel
spacing in millimetres.

``pydicom`` decodes the pixel data (with the ``pylibjpeg`` plugins for the
JPEG, JPEG-LS, JPEG 2000 and RLE transfer syntaxes that scanners export);
this module only turns a decoded frame into the ussl_mm convention, reads a
single frame of a cine loop without decoding the others, and finds the
physical pixel size.
"""
import os.path as osp
from typing import Optional, Tuple

import cv2
import numpy as np

#: Photometric interpretations whose decoded frame is RGB (pydicom converts
#: YBR_FULL / YBR_FULL_422 to RGB; the JPEG 2000 decoders undo YBR_RCT/ICT).
_RGB_LIKE = ('RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_RCT', 'YBR_ICT',
             'YBR_PARTIAL_420')
#: DICOM PhysicalUnitsXDirection / YDirection code for centimetres.
_UNIT_CM = 3


def _pydicom():
    try:
        import pydicom
    except ImportError as e:  # declared in requirements/runtime.txt
        raise ImportError(
            'Reading DICOM needs pydicom (and the pylibjpeg plugins for '
            'compressed files): pip install -r requirements/runtime.txt'
        ) from e
    return pydicom


def read_dicom_header(path: str):
    """The DICOM data set of ``path`` without its pixel data.

    Raises:
        ValueError: When the file is not DICOM or holds no image (the error
            names the file).
    """
    pydicom = _pydicom()
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception as e:  # InvalidDicomError, truncated, empty
        raise ValueError(f'{path} is not a readable DICOM file ({e}).') from e
    missing = [k for k in ('Rows', 'Columns') if k not in ds]
    if missing:
        raise ValueError(
            f'DICOM file {path} holds no image (no {"/".join(missing)}; '
            f"SOP class {ds.get('SOPClassUID', '?')}): a structured report, "
            'DICOMDIR or other non-image object. Leave it out.')
    return ds


def dicom_num_frames(ds) -> int:
    """Number of frames of a DICOM header (1 when NumberOfFrames is
    absent)."""
    try:
        return max(1, int(ds.get('NumberOfFrames', 1) or 1))
    except (TypeError, ValueError):
        return 1


def _to_uint8(arr: np.ndarray, ds, path: str) -> np.ndarray:
    """Scale a decoded frame to uint8 with the file's own rules."""
    if arr.dtype == np.uint8:
        return arr
    bits = int(ds.get('BitsStored', 8) or 8)
    x = arr.astype(np.float64)
    slope = float(ds.get('RescaleSlope', 1) or 1)
    intercept = float(ds.get('RescaleIntercept', 0) or 0)
    x = x * slope + intercept
    wc, ww = ds.get('WindowCenter'), ds.get('WindowWidth')
    if wc is not None and ww is not None:
        # first window, DICOM PS3.3 C.11.2.1.2.1 linear function
        c = float(wc[0] if hasattr(wc, '__len__') and not isinstance(
            wc, str) else wc)
        w = float(ww[0] if hasattr(ww, '__len__') and not isinstance(
            ww, str) else ww)
        y = ((x - (c - 0.5)) / max(w - 1, 1) + 0.5) * 255.0
    elif bits <= 8:
        y = x
    else:
        # the stored range, not the frame's own min..max: echo levels stay
        # comparable across frames and files of one scanner
        lo = -(2**(bits - 1)) if int(ds.get('PixelRepresentation', 0)) else 0
        y = (x - lo) * 255.0 / (2**bits - 1)
    return np.clip(np.round(y), 0, 255).astype(np.uint8)


def read_dicom_frame(path: str,
                     index: int = 0,
                     to_gray: bool = True,
                     ds=None) -> np.ndarray:
    """Decode one frame of a DICOM file as uint8.

    Photometric interpretation is applied: MONOCHROME1 is inverted (so that
    high echo is bright as in MONOCHROME2), RGB and YBR_FULL(_422) become
    RGB, PALETTE COLOR goes through its lookup table; more than 8 stored
    bits are mapped with the file's window (or its stored range) to 0..255.

    Args:
        path (str): DICOM file.
        index (int): Frame index (0-based) of a multi-frame file; only that
            frame is decoded. Defaults to 0.
        to_gray (bool): Return colour frames as HxW gray (their luminance,
            i.e. the Y of YBR). False returns them as HxWx3 BGR (the OpenCV
            order of the ussl_mm loaders). Monochrome frames are HxW either
            way. Defaults to True.
        ds (pydicom.Dataset, optional): The header from
            :func:`read_dicom_header`, to avoid reading it again. Defaults
            to None.

    Returns:
        np.ndarray: uint8 HxW (gray) or HxWx3 (BGR colour).
    """
    _pydicom()  # a clear ImportError when pydicom is missing
    from pydicom.pixels import apply_color_lut, pixel_array
    if ds is None:
        ds = read_dicom_header(path)
    n = dicom_num_frames(ds)
    if not 0 <= index < n:
        raise IndexError(f'DICOM file {path} has {n} frame(s); frame '
                         f'{index} requested.')
    try:
        arr = pixel_array(path, index=index if n > 1 else None)
    except Exception as e:  # missing decoder plugin, corrupt fragment
        ts = getattr(getattr(ds, 'file_meta', None), 'TransferSyntaxUID',
                     '?')
        raise ValueError(
            f'Could not decode frame {index} of DICOM file {path} '
            f'(transfer syntax {getattr(ts, "name", ts)}): {e}. Compressed '
            'syntaxes need the pylibjpeg plugins of requirements/'
            'runtime.txt.') from e
    pi = str(ds.get('PhotometricInterpretation', 'MONOCHROME2')).upper()
    if pi == 'PALETTE COLOR':
        arr = apply_color_lut(arr, ds)
        if arr.dtype != np.uint8:  # 16-bit LUT entries
            arr = (arr.astype(np.uint32) >> 8).astype(np.uint8) \
                if arr.max() > 255 else arr.astype(np.uint8)
        pi = 'RGB'
    if arr.ndim == 3 and arr.shape[-1] == 3:
        if pi not in _RGB_LIKE + ('RGB', ):
            raise ValueError(f'DICOM file {path}: 3 samples per pixel with '
                             f'photometric interpretation {pi!r}.')
        rgb = _to_uint8(arr, ds, path)
        if to_gray:
            return cv2.cvtColor(np.ascontiguousarray(rgb),
                                cv2.COLOR_RGB2GRAY)
        return np.ascontiguousarray(rgb[..., ::-1])
    if arr.ndim != 2:
        raise ValueError(f'DICOM file {path}: frame {index} has shape '
                         f'{arr.shape}; expected HxW or HxWx3.')
    if pi not in ('MONOCHROME1', 'MONOCHROME2'):
        raise ValueError(f'DICOM file {path}: one sample per pixel with '
                         f'photometric interpretation {pi!r} is not '
                         'supported (expected MONOCHROME1/2).')
    gray = _to_uint8(arr, ds, path)
    if pi == 'MONOCHROME1':
        gray = 255 - gray
    return gray


def dicom_pixel_spacing(ds) -> Optional[Tuple[float, float, str]]:
    """Physical pixel size of a DICOM image in millimetres.

    Ultrasound files record it in the SequenceOfUltrasoundRegions
    (PhysicalDeltaX/Y, in cm when PhysicalUnitsX/YDirection is 3): the
    largest region with centimetre units in both directions is used. Other
    files use PixelSpacing (mm, row then column) or ImagerPixelSpacing.

    Args:
        ds (pydicom.Dataset): Header.

    Returns:
        tuple | None: ``(row_spacing_mm, col_spacing_mm, source)`` or None
        when the file records no physical size.
    """
    best = None
    for reg in ds.get('SequenceOfUltrasoundRegions', []) or []:
        try:
            ux = int(reg.get('PhysicalUnitsXDirection', 0))
            uy = int(reg.get('PhysicalUnitsYDirection', 0))
            dx = float(reg.PhysicalDeltaX)
            dy = float(reg.PhysicalDeltaY)
        except (AttributeError, TypeError, ValueError):
            continue
        if ux != _UNIT_CM or uy != _UNIT_CM or dx <= 0 or dy <= 0:
            continue
        area = 1
        if all(k in reg for k in ('RegionLocationMinX0', 'RegionLocationMaxX1',
                                  'RegionLocationMinY0',
                                  'RegionLocationMaxY1')):
            area = (int(reg.RegionLocationMaxX1) - int(reg.RegionLocationMinX0)
                    + 1) * (int(reg.RegionLocationMaxY1) -
                            int(reg.RegionLocationMinY0) + 1)
        if best is None or area > best[0]:
            best = (area, abs(dy) * 10.0, abs(dx) * 10.0)
    if best is not None:
        return best[1], best[2], 'SequenceOfUltrasoundRegions'
    for key in ('PixelSpacing', 'ImagerPixelSpacing'):
        val = ds.get(key)
        if val is not None and len(val) == 2 and all(
                float(v) > 0 for v in val):
            return float(val[0]), float(val[1]), key
    return None


def dicom_stem(path: str, root: str) -> str:
    """Output stem of a DICOM file: its path under ``root`` without suffix,
    folders joined with ``_`` (cine files of several studies often share a
    name)."""
    rel = osp.relpath(path, root)
    stem, ext = osp.splitext(rel)
    if ext.lower() not in ('.dcm', '.dicom'):
        stem = rel
    return stem.replace(osp.sep, '_').replace('/', '_')
