"""Convert a folder of ultrasound DICOM files into the ussl_mm layout.

    python tools/dataset_converters/dicom_to_layout.py DICOM_DIR OUT_ROOT \
        [--split train] [--frame-step 5] [--max-frames 100] \
        [--sector-mask auto|none|MASK.png] [--keep-color] \
        [--color-overlay keep|zero|inpaint]

Every DICOM file under DICOM_DIR (``.dcm``/``.dicom``, or suffix-less with
the DICM marker; searched recursively) becomes 8-bit PNG frames in
``OUT_ROOT/img_dir/<split>/``: ``<stem>.png`` for a single frame,
``<stem>_f0000.png``, ``<stem>_f0005.png``, ... for every ``--frame-step``-th
frame of a cine loop (``<stem>`` is the file's path under DICOM_DIR, folders
joined by ``_``). Photometric interpretation is applied (MONOCHROME1
inverted; RGB, YBR_FULL(_422) and PALETTE COLOR converted to gray unless
``--keep-color``).

It also writes

* ``OUT_ROOT/pixel_spacing.csv`` (``stem,row_spacing_mm,col_spacing_mm``)
  from SequenceOfUltrasoundRegions (PhysicalDeltaY/X in cm -> mm) or
  PixelSpacing, for the clinical metrics; rows of an existing file with
  other stems are kept;
* ``OUT_ROOT/dicom_manifest.csv``: source file, frame, output stem, size,
  photometric interpretation, transfer syntax, spacing source.

``--sector-mask auto`` blanks the burned-in UI (text, scales, logos)
outside the ultrasound sector: the largest connected non-dark region of the
loop's per-pixel maximum, as its convex hull; ``--sector-mask MASK.png``
uses your mask (non-zero = keep) for every frame of that size.

Files that are not DICOM, DICOM objects without an image (reports,
DICOMDIR) and files that fail to decode are listed at the end; the exit
status is 1 when any DICOM file failed.
"""
import argparse
import csv
import os
import os.path as osp
import sys

import cv2
import numpy as np

from ussl_mm.datasets.dicom import (dicom_num_frames, dicom_pixel_spacing,
                                    dicom_stem, read_dicom_frame,
                                    read_dicom_header)
from ussl_mm.datasets.image_files import (convert_color, is_dicom_file,
                                          list_files)
from ussl_mm.datasets.pixel_spacing import (read_pixel_spacing_csv,
                                            write_pixel_spacing_csv)
from ussl_mm.datasets.sector_mask import (apply_sector_mask,
                                          auto_sector_mask, load_sector_mask)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('dicom_dir', help='folder of DICOM files (recursive)')
    p.add_argument('out_root', help='data root to write (img_dir/<split>)')
    p.add_argument('--split', default='train',
                   help='subfolder of img_dir to write. Default: train')
    p.add_argument('--frame-step', type=int, default=1,
                   help='keep every N-th frame of a cine loop. Default: 1')
    p.add_argument('--max-frames', type=int, default=None,
                   help='at most this many frames per file (after the step)')
    p.add_argument('--sector-mask', default='none',
                   help="'none', 'auto' (largest non-dark region) or a mask "
                   'image (non-zero = keep). Default: none')
    p.add_argument('--keep-color', action='store_true',
                   help='write colour frames as colour PNG (default: gray)')
    p.add_argument('--color-overlay', default='keep',
                   choices=['keep', 'zero', 'inpaint'],
                   help='what happens to strongly coloured pixels (Doppler, '
                   'coloured annotations). Default: keep (their gray level)')
    p.add_argument('--overwrite', action='store_true',
                   help='replace PNGs that exist (default: refuse)')
    args = p.parse_args(argv)
    if args.frame_step < 1:
        p.error('--frame-step must be >= 1')
    if args.max_frames is not None and args.max_frames < 1:
        p.error('--max-frames must be >= 1')
    return args


def convert_file(path, args, out_dir, stem):
    """Write the frames of one DICOM file; return the manifest rows."""
    ds = read_dicom_header(path)
    n = dicom_num_frames(ds)
    idx = list(range(0, n, args.frame_step))[:args.max_frames]
    frames = [read_dicom_frame(path, k, to_gray=False, ds=ds) for k in idx]
    mask = None
    if args.sector_mask == 'auto':
        gray = np.stack([f if f.ndim == 2 else cv2.cvtColor(
            f, cv2.COLOR_BGR2GRAY) for f in frames])
        mask = auto_sector_mask(gray)
    elif args.sector_mask != 'none':
        mask = load_sector_mask(args.sector_mask, frames[0].shape)
    spacing = dicom_pixel_spacing(ds)
    ts = getattr(getattr(ds, 'file_meta', None), 'TransferSyntaxUID', '')
    rows = []
    for k, frame in zip(idx, frames):
        if frame.ndim == 3:
            frame = convert_color(frame, not args.keep_color,
                                  args.color_overlay)
        frame = apply_sector_mask(frame, mask)
        out_stem = stem if n == 1 else f'{stem}_f{k:04d}'
        out = osp.join(out_dir, out_stem + '.png')
        if osp.exists(out) and not args.overwrite:
            raise FileExistsError(f'{out} exists; pass --overwrite to '
                                  'replace it.')
        if not cv2.imwrite(out, frame):
            raise OSError(f'Could not write {out}')
        rows.append(dict(
            source=path, frame=k, stem=out_stem, rows=frame.shape[0],
            cols=frame.shape[1],
            photometric=str(ds.get('PhotometricInterpretation', '')),
            transfer_syntax=getattr(ts, 'name', str(ts)),
            row_spacing_mm='' if spacing is None else f'{spacing[0]:.6g}',
            col_spacing_mm='' if spacing is None else f'{spacing[1]:.6g}',
            spacing_source='' if spacing is None else spacing[2]))
    return rows


def main(argv=None):
    args = parse_args(argv)
    if not osp.isdir(args.dicom_dir):
        raise SystemExit(f'DICOM folder not found: {args.dicom_dir}')
    out_dir = osp.join(args.out_root, 'img_dir', args.split)
    os.makedirs(out_dir, exist_ok=True)
    files = [osp.join(args.dicom_dir, f) for f in list_files(args.dicom_dir)]
    dicoms = [f for f in files if is_dicom_file(f)]
    not_dicom = [f for f in files if f not in set(dicoms)]
    if not dicoms:
        raise SystemExit(f'No DICOM files under {args.dicom_dir} '
                         f'({len(files)} other files).')
    manifest, failed = [], []
    for path in dicoms:
        stem = dicom_stem(path, args.dicom_dir)
        try:
            rows = convert_file(path, args, out_dir, stem)
        except FileExistsError as e:
            raise SystemExit(str(e))
        except (ValueError, IndexError, OSError) as e:
            failed.append((path, str(e)))
            continue
        manifest += rows
        print(f'{path}: {len(rows)} frame(s) -> {out_dir}/{rows[0]["stem"]}'
              f'{"..." if len(rows) > 1 else ""}.png'
              f'{"" if rows[0]["row_spacing_mm"] else " (no pixel spacing)"}')
    if manifest:
        fields = list(manifest[0])
        mpath = osp.join(args.out_root, 'dicom_manifest.csv')
        old = []
        if osp.isfile(mpath):
            with open(mpath, newline='') as f:
                new_stems = {r['stem'] for r in manifest}
                old = [r for r in csv.DictReader(f)
                       if r.get('stem') not in new_stems]
        with open(mpath, 'w', newline='') as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(old + manifest)
        spath = osp.join(args.out_root, 'pixel_spacing.csv')
        spacing = read_pixel_spacing_csv(spath) if osp.isfile(spath) else {}
        for r in manifest:
            if r['row_spacing_mm']:
                spacing[r['stem']] = (float(r['row_spacing_mm']),
                                      float(r['col_spacing_mm']))
        no_spacing = sorted({r['source'] for r in manifest
                             if not r['row_spacing_mm']})
        if spacing:
            write_pixel_spacing_csv(spath, spacing)
            print(f'pixel spacing: {spath} ({len(spacing)} rows)')
        if no_spacing:
            print(f'{len(no_spacing)} file(s) record no pixel spacing (no '
                  'SequenceOfUltrasoundRegions in cm, no PixelSpacing); '
                  'their sizes will be reported in pixels: '
                  + ', '.join(no_spacing))
        print(f'{len(manifest)} frame(s) from {len(dicoms) - len(failed)} '
              f'DICOM file(s); manifest: {mpath}')
    if not_dicom:
        print(f'{len(not_dicom)} file(s) are not DICOM and were not '
              'converted: ' + ', '.join(not_dicom))
    if failed:
        print(f'{len(failed)} DICOM file(s) FAILED:', file=sys.stderr)
        for path, err in failed:
            print(f'  {path}: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
