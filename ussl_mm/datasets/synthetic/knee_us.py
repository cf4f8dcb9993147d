"""Synthetic B-mode ultrasound of the suprapatellar knee recess.

There is no public knee-recess data set, so ussl_mm ships this generator as
its embedded default: the quickstart and the tests run with no data at all.

Each image is a longitudinal suprapatellar view, probe on top, depth going
down, proximal to the left. From superficial to deep:

* skin (thin bright line) and subcutaneous fat (hypoechoic, bright septa);
* the quadriceps tendon: hyperechoic and fibrillar (horizontal striations),
  inserting on the patella (bright curve with an acoustic shadow, right);
* the quadriceps (suprapatellar) fat pad, a wedge thickening distally;
* the suprapatellar recess: a collapsed bright synovial line, or a lens of
  effusion (anechoic to hypoechoic, sometimes with debris) -- the label;
* the prefemoral fat pad and the femur cortex with its acoustic shadow.

Confounders that are *not* labelled: anechoic vessels (subcutaneous and in
the muscle) and the hypoechoic, striated quadriceps muscle belly (left).

The speckle is physically motivated rather than painted: a tissue
echogenicity map multiplies a white Gaussian scatterer field, which is
convolved with a separable pulse response (Gaussian-windowed carrier
axially, Gaussian laterally) in quadrature; the envelope of the I/Q pair is
attenuated along depth by the cumulative attenuation of the tissue above
(so bone shadows and fluid enhances what lies beneath), partly compensated
by a time-gain ramp, then log-compressed to 8 bits.

Everything is vectorised numpy/OpenCV; one 256x256 image takes a few
milliseconds on one core.
"""
import json
import os
import os.path as osp
from multiprocessing import Pool
from typing import Dict, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

SPLITS = ('train', 'val', 'test')


def _smooth_curve(rng: np.random.Generator, x: np.ndarray, base: float,
                  amp: float, n_terms: int = 3) -> np.ndarray:
    """A random smooth curve ``base + sum_k a_k sin(2 pi f_k x + phi_k)``."""
    y = np.full_like(x, base)
    for k in range(1, n_terms + 1):
        a = (amp / k) * rng.uniform(-1, 1)
        f = k * rng.uniform(0.3, 0.8)
        y += a * np.sin(2 * np.pi * f * x + rng.uniform(0, 2 * np.pi))
    return y


def _pulse_kernels(size: int, rng: np.random.Generator,
                   speckle_scale: float = 1.0) -> Tuple[np.ndarray, ...]:
    """Axial in-phase/quadrature and lateral kernels of the pulse response.

    ``speckle_scale`` multiplies the pulse length, beam width and wavelength
    (a lower-frequency probe: coarser speckle).
    """
    s = size / 256.0 * speckle_scale
    sig_ax = rng.uniform(0.8, 1.1) * s          # axial resolution (px)
    sig_lat = rng.uniform(1.6, 2.4) * s         # lateral resolution is worse
    lam = rng.uniform(2.5, 3.5) * s             # carrier wavelength (px)
    ra = int(np.ceil(3 * sig_ax))
    rl = int(np.ceil(3 * sig_lat))
    z = np.arange(-ra, ra + 1, dtype=np.float32)
    xl = np.arange(-rl, rl + 1, dtype=np.float32)
    env = np.exp(-0.5 * (z / sig_ax)**2)
    k_i = (env * np.cos(2 * np.pi * z / lam)).astype(np.float32)
    k_q = (env * np.sin(2 * np.pi * z / lam)).astype(np.float32)
    k_l = np.exp(-0.5 * (xl / sig_lat)**2).astype(np.float32)
    return k_i, k_q, k_l / k_l.sum()


def synthesize_knee_us(
        rng: np.random.Generator,
        size: Union[int, Sequence[int]] = 256,
        p_effusion: float = 0.8,
        speckle_scale: float = 1.0,
        gain_db: float = 0.0,
        effusion_scale: float = 1.0) -> Tuple[np.ndarray, np.ndarray]:
    """Synthesise one suprapatellar B-mode image and its effusion mask.

    Args:
        rng (np.random.Generator): Source of all randomness; the same
            generator state gives the same image.
        size (int | Sequence[int]): Height and width in pixels, one int for
            a square image or ``(height, width)``. Anatomy is laid out in
            normalised coordinates, resolution scales with the height.
            Defaults to 256.
        p_effusion (float): Probability that the recess holds an effusion;
            otherwise it is collapsed and the mask is empty. Defaults to 0.8.
        speckle_scale (float): Multiplies the pulse length, beam width and
            wavelength: > 1 is a lower-frequency probe with coarser speckle.
            Defaults to 1.0.
        gain_db (float): Added to the overall gain (dB): < 0 darker images.
            Defaults to 0.0.
        effusion_scale (float): Multiplies the effusion's width and
            thickness (< 1: smaller effusions). Defaults to 1.0.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``image`` (uint8, HxW, B-mode) and
        ``mask`` (uint8, HxW, 0 = background, 1 = effusion).
    """
    H, W = _hw(size)
    px = 1.0 / H
    x = (np.arange(W, dtype=np.float32) + 0.5) / W          # (W,)
    Y = ((np.arange(H, dtype=np.float32) + 0.5) / H)[:, None]  # (H, 1)
    Xg = x[None, :]

    # ---- layer boundaries (normalised depth, one value per column) ----
    tilt = rng.uniform(-0.04, 0.04)
    skin = _smooth_curve(rng, x, rng.uniform(0.015, 0.03), 0.004)
    sub = skin + rng.uniform(0.07, 0.16) + _smooth_curve(rng, x, 0, 0.015)
    t_top = sub + tilt * x
    t_thk = rng.uniform(0.045, 0.075) * (1 + 0.25 * x)      # thickens distally
    t_bot = t_top + t_thk
    femur = _smooth_curve(rng, x, rng.uniform(0.72, 0.84), 0.02) \
        - rng.uniform(0.0, 0.06) * (x - 0.5)**2 * 4          # convex cortex
    prefem = femur - rng.uniform(0.04, 0.09) + _smooth_curve(rng, x, 0, 0.01)
    # recess centre line between the two fat pads
    rec = t_bot + (prefem - t_bot) * rng.uniform(0.35, 0.6)

    # patella (distal) decided first: no effusion is drawn in its shadow
    has_pat = rng.uniform() < 0.6
    xp = rng.uniform(0.78, 0.95) if has_pat else 2.0

    # ---- effusion lens ----
    has_eff = rng.uniform() < p_effusion
    if has_eff:
        xc = rng.uniform(0.3, 0.7)
        half_w = rng.uniform(0.15, 0.38) * effusion_scale
        thick = rng.uniform(0.03, 0.2) * effusion_scale      # max thickness
        power = rng.uniform(0.5, 1.5)
        u = np.clip(1 - ((x - xc) / half_w)**2, 0, None)
        u = u * np.clip((xp - 0.02 - x) / 0.05, 0, 1)
        lobes = 1 + 0.25 * np.sin(2 * np.pi * rng.uniform(1, 3) * x
                                  + rng.uniform(0, 2 * np.pi))
        t = thick * u**power * lobes                         # (W,)
        asym = rng.uniform(0.3, 0.7)                         # up vs down share
        e_top = rec - asym * t
        e_bot = rec + (1 - asym) * t
        # the fat pads are pushed apart by the fluid
        t_bot_eff = np.minimum(t_bot, e_top - 0.01)
        prefem = np.maximum(prefem, e_bot + 0.01)
        femur = np.maximum(femur, prefem + 0.02)
        t_bot = np.where(t > 0, np.maximum(t_bot_eff, t_top + 0.02), t_bot)
    else:
        e_top = e_bot = rec

    # ---- tissue maps (echogenicity = backscatter, alpha = attenuation) ----
    echo = np.empty((H, W), np.float32)
    alpha = np.full((H, W), 0.6, np.float32)                 # dB-ish / unit
    echo[:] = 0.3
    # subcutaneous fat, hypoechoic with bright septa
    in_sub = (Y >= skin) & (Y < t_top)
    f_y = rng.uniform(18, 30)
    wavy = 3 * np.sin(2 * np.pi * Xg * rng.uniform(1, 3))
    septa = 1.0 + 12.0 * (np.sin(2 * np.pi * (Y * f_y + wavy)) > 0.93)
    echo = np.where(in_sub, 0.12 * septa, echo)
    # quadriceps muscle belly: proximal (left), deep to the tendon
    m_edge = rng.uniform(0.15, 0.45)
    in_muscle = (Y >= t_bot) & (Y < prefem) & (
        Xg < m_edge - (Y - t_bot) * rng.uniform(0.3, 1.5))
    f_y, f_x = rng.uniform(25, 40), rng.uniform(4, 10)
    pen = np.sin(2 * np.pi * (Y * f_y + Xg * f_x))     # pennate fibres
    echo = np.where(in_muscle, 0.08 + 0.8 * (pen > 0.85), echo)
    # quadriceps fat pad and prefemoral fat pad: moderately echogenic fat
    in_qfp = (Y >= t_bot) & (Y < e_top) & ~in_muscle
    echo = np.where(in_qfp, rng.uniform(0.25, 0.7), echo)
    in_pff = (Y >= e_bot) & (Y < femur) & ~in_muscle
    echo = np.where(in_pff, rng.uniform(0.3, 0.8), echo)
    # tendon: hyperechoic, fibrillar
    in_tendon = (Y >= t_top) & (Y < t_bot)
    period = rng.uniform(2.5, 4) * px
    jitter = 0.3 * rng.standard_normal((1, W)).astype(np.float32)
    fib = 1 + 0.7 * np.sin(2 * np.pi * (Y - t_top) / period + jitter)
    echo = np.where(in_tendon, rng.uniform(3.0, 6.0) * fib * fib, echo)
    # collapsed recess: thin bright synovial line (also borders an effusion)
    syn = np.abs(Y - rec) < 1.2 * px
    echo = np.where(syn & ~in_muscle, 4.0, echo)
    # effusion: anechoic to hypoechoic, with optional debris
    eff = (Y >= e_top) & (Y < e_bot)
    if has_eff:
        level = rng.choice([5e-4, 2e-3, 8e-3, 3e-2], p=[0.4, 0.25, 0.2, 0.15])
        e_val = np.full((H, W), level, np.float32)
        if rng.uniform() < 0.35:                              # debris
            dens = rng.uniform(0.01, 0.06)
            specks = rng.random((H, W), dtype=np.float32) < dens
            e_val += specks * rng.uniform(0.3, 1.5)
        echo = np.where(eff, e_val, echo)
        alpha = np.where(eff, 0.05, alpha)                   # fluid enhances
    # skin
    echo = np.where((Y >= skin - 1.5 * px) & (Y < skin + 1.5 * px), 15.0, echo)
    echo = np.where(Y < skin - 1.5 * px, 5e-4, echo)         # gel stand-off
    # femur cortex and shadow
    cortex = (Y >= femur) & (Y < femur + 2.5 * px)
    echo = np.where(cortex, 40.0, echo)
    echo = np.where(Y >= femur + 2.5 * px, 0.3, echo)
    alpha = np.where(Y >= femur, 60.0, alpha)
    # patella: distal, at tendon depth, with its own shadow
    if has_pat:
        # superior pole: rounded, rising from deep to the tendon distally
        rise = np.sqrt(np.clip((x - xp) / (1.0 - xp), 0, 1))
        p_top = np.where(x >= xp, t_bot + 0.02 - (0.6 * t_thk + 0.02) * rise,
                         np.inf)
        pat = (Y >= p_top) & (Y < p_top + 2.5 * px)
        echo = np.where(pat, 40.0, echo)
        alpha = np.where(Y >= p_top, 60.0, alpha)
    # vessels: anechoic ellipses with bright walls (not effusion)
    vessel = np.zeros((H, W), bool)
    for _ in range(rng.integers(0, 3)):
        where = rng.uniform()
        cx = rng.uniform(0.08, 0.92)
        ci = int(cx * (W - 1))
        if where < 0.5:              # superficial vein in subcutaneous fat
            cy = 0.5 * (skin[ci] + t_top[ci])
            ry = min(rng.uniform(0.012, 0.03), 0.4 * (t_top[ci] - skin[ci]))
        else:                        # vessel in muscle / deep fat, proximal
            cx = rng.uniform(0.05, 0.3)
            ci = int(cx * (W - 1))
            if prefem[ci] - t_bot[ci] > 0.08:
                cy = rng.uniform(t_bot[ci] + 0.03, prefem[ci] - 0.03)
            else:
                cy = 0.5 * (t_bot[ci] + prefem[ci])
            ry = rng.uniform(0.015, 0.035)
        rx = ry * rng.uniform(1.0, 2.5)
        r2 = ((Xg - cx) / rx)**2 + ((Y - cy) / ry)**2
        inside = r2 < 1
        wall = (r2 >= 1) & (r2 < (1 + 2.5 * px / ry)**2)
        inside &= ~eff
        echo = np.where(wall & ~eff, 4.0, echo)
        echo = np.where(inside, 5e-4, echo)
        alpha = np.where(inside, 0.05, alpha)
        vessel |= inside

    # ---- speckle: scatterers x echogenicity, pulse response, envelope ----
    k_i, k_q, k_l = _pulse_kernels(H, rng, speckle_scale)
    # expected envelope power of unit echogenicity, to reference 0 dB
    norm = 1.0 / float((k_l**2).sum() * ((k_i**2).sum() + (k_q**2).sum()))
    scat = (rng.standard_normal((H, W), dtype=np.float32)
            * np.sqrt(echo, dtype=np.float32))
    # sepFilter2D(kernelX, kernelY): lateral along x, pulse along depth (y)
    i_ch = cv2.sepFilter2D(scat, cv2.CV_32F, k_l, k_i,
                           borderType=cv2.BORDER_REFLECT)
    q_ch = cv2.sepFilter2D(scat, cv2.CV_32F, k_l, k_q,
                           borderType=cv2.BORDER_REFLECT)
    envl = np.sqrt(i_ch * i_ch + q_ch * q_ch)
    # attenuation of the tissue above (two-way), partly undone by TGC
    att = np.cumsum(alpha, axis=0) * px
    tgc = rng.uniform(0.6, 1.0) * 0.6 * Y + rng.uniform(-0.1, 0.1) * (Y - 0.5)
    envl *= np.exp(-2 * att + 2 * tgc).astype(np.float32)
    # log compression to 8 bits; 0 dB = fat pad (echogenicity 1)
    db = 10 * np.log10(envl * envl * norm + 1e-12)
    top = rng.uniform(8, 14) - gain_db           # overall gain (dB at white)
    dyn_range = rng.uniform(40, 50)
    img = np.clip((db - top + dyn_range) * (255.0 / dyn_range), 0, 255)
    img = img.astype(np.uint8)

    mask = (eff & ~vessel).astype(np.uint8)
    if mask.sum() < 4:        # sub-pixel slivers are not a visible effusion
        mask[:] = 0
    return img, mask


def _hw(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """``(height, width)`` from an int (square) or a 2-sequence."""
    if isinstance(size, (int, np.integer)):
        return int(size), int(size)
    if len(size) != 2:
        raise ValueError(f'size must be an int or (height, width), got '
                         f'{size!r}')
    return int(size[0]), int(size[1])


def _render_one(args):
    out_dir, split, idx, size, seed, p_effusion, regime = args
    rng = np.random.default_rng([seed, SPLITS.index(split), idx])
    img, mask = synthesize_knee_us(rng, size, p_effusion, **regime)
    name = f'knee_{split}_{idx:05d}'
    for sub, arr in (('img_dir', img), ('ann_dir', mask)):
        path = osp.join(out_dir, sub, split, name + '.png')
        if not cv2.imwrite(path, arr):
            raise OSError(f'Could not write {path}; check that the folder is '
                          'writable and the disk is not full.')
    return name, int(mask.any())


def generate_knee_us(out_dir: str,
                     num_train: int = 240,
                     num_val: int = 60,
                     num_test: int = 60,
                     size: Union[int, Sequence[int]] = 256,
                     seed: int = 0,
                     workers: int = 1,
                     p_effusion: float = 0.8,
                     fractions: Optional[Sequence[float]] = (1, 5, 10, 25, 50,
                                                             100),
                     speckle_scale: float = 1.0,
                     gain_db: float = 0.0,
                     effusion_scale: float = 1.0) -> Dict:
    """Write a synthetic knee-recess data set in the ussl_mm layout.

    Layout: ``out_dir/{img_dir,ann_dir}/{train,val,test}/knee_<split>_<i>.png``
    (8-bit grayscale images, masks 0 = background, 1 = effusion) and, unless
    ``fractions`` is None, nested label-fraction split files
    ``out_dir/splits/train_{pct}pct.txt`` with ``splits/manifest.json``.

    Every image is seeded by ``(seed, split, index)``, so the output does not
    depend on ``workers`` and a larger set extends a smaller one.

    Args:
        out_dir (str): Root of the data set (created if absent).
        num_train (int): Training images. Defaults to 240.
        num_val (int): Validation images. Defaults to 60.
        num_test (int): Test images. Defaults to 60.
        size (int | Sequence[int]): Image size, one int (square) or
            ``(height, width)``. Defaults to 256.
        seed (int): Seed of the images and of the splits. Defaults to 0.
        workers (int): Worker processes. Defaults to 1.
        p_effusion (float): Share of images with an effusion. Defaults to 0.8.
        fractions (Sequence[float], optional): Label fractions (percent) to
            write; None writes no splits. Defaults to (1, 5, 10, 25, 50, 100).
        speckle_scale (float): Speckle size (pulse) multiplier, see
            :func:`synthesize_knee_us`. Defaults to 1.0.
        gain_db (float): Overall gain offset in dB. Defaults to 0.0.
        effusion_scale (float): Effusion size multiplier. Defaults to 1.0.

    Returns:
        dict: ``{split: [(name, has_effusion), ...]}``.
    """
    from ..splits import nested_fraction_splits, write_fraction_splits
    counts = dict(train=num_train, val=num_val, test=num_test)
    regime = dict(speckle_scale=speckle_scale, gain_db=gain_db,
                  effusion_scale=effusion_scale)
    size = _hw(size)
    size = size[0] if size[0] == size[1] else size
    jobs = []
    for split in SPLITS:
        for sub in ('img_dir', 'ann_dir'):
            os.makedirs(osp.join(out_dir, sub, split), exist_ok=True)
        jobs += [(out_dir, split, i, size, seed, p_effusion, regime)
                 for i in range(counts[split])]
    if workers > 1:
        with Pool(workers) as pool:
            rows = pool.map(_render_one, jobs, chunksize=16)
    else:
        rows = [_render_one(j) for j in jobs]
    result, k = {}, 0
    for split in SPLITS:
        result[split] = rows[k:k + counts[split]]
        k += counts[split]
    if fractions is not None and num_train > 0:
        names = [n for n, _ in result['train']]
        positive = [bool(p) for _, p in result['train']]
        splits = nested_fraction_splits(
            names, positive, fractions=fractions, seed=seed)
        write_fraction_splits(
            osp.join(out_dir, 'splits'), splits,
            dict(seed=seed, source=osp.join(out_dir, 'img_dir', 'train'),
                 generator=dict(name='ussl_mm synthetic knee US', size=size,
                                seed=seed, p_effusion=p_effusion,
                                counts=counts, **regime)),
            names=names, positive=positive)
    with open(osp.join(out_dir, 'README.txt'), 'w') as f:
        f.write('Synthetic suprapatellar knee ultrasound written by '
                'ussl_mm.datasets.synthetic.generate_knee_us with '
                + json.dumps(dict(size=size, seed=seed, **counts,
                                  p_effusion=p_effusion, **regime)) + '\n')
    return result
