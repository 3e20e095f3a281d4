"""Fashion-MNIST from the Debian package, and data-independent scattering features for it.

The images come from ``dataset-fashion-mnist`` (IDX files under /usr/share/datasets); nothing is
ever downloaded. The features are a 2-D scattering transform (Mallat 2012; the ScatterNet of
Tramer and Boneh 2021, "Differentially Private Learning Needs Better Features"): fixed Morlet
wavelets at J=2 scales and L=8 orientations, moduli, and a low-pass average, computed in the Fourier
domain as kymatio does (same filters, padding and subsampling). No filter or constant is fitted to
the data, so the features cost no privacy budget; the per-image group normalisation that follows
reads only that image.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

FOLDER = Path("/usr/share/datasets/fashion-mnist")
INSTALL_HINT = "Fashion-MNIST is missing: apt-get install dataset-fashion-mnist"
J, L = 2, 8
SIZE, PADDED = 28, 36  # kymatio pads to ((28 + 2**J) // 2**J + 1) * 2**J


def load(folder: Path = FOLDER) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, test images, test labels): uint8 N x 28 x 28 and N."""
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte")  # fmt: skip
    paths = [folder / f"{name}.gz" for name in names]
    if not all(p.is_file() for p in paths):
        raise SystemExit(INSTALL_HINT)
    x, y, x_test, y_test = (_idx(p) for p in paths)
    return x, y, x_test, y_test


def _idx(path: Path) -> np.ndarray:
    """One IDX file (big-endian header: magic with the rank in its last byte, then each dimension)."""
    with gzip.open(path, "rb") as handle:
        raw = handle.read()
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


# -- filters (kymatio's filter_bank, in numpy) -----------------------------------------------------


def _gabor(sigma: float, theta: float, xi: float, slant: float = 1.0) -> np.ndarray:
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    curv = rot @ np.diag([1.0, slant * slant]) @ rot.T / (2 * sigma * sigma)
    out = np.zeros((PADDED, PADDED), np.complex128)
    for ex in range(-2, 3):  # periodised over neighbouring tiles
        for ey in range(-2, 3):
            xx, yy = np.mgrid[ex * PADDED : (ex + 1) * PADDED, ey * PADDED : (ey + 1) * PADDED]
            arg = -(curv[0, 0] * xx * xx + (curv[0, 1] + curv[1, 0]) * xx * yy + curv[1, 1] * yy * yy)
            out += np.exp(arg + 1j * xi * (xx * math.cos(theta) + yy * math.sin(theta)))
    return out / (2 * math.pi * sigma * sigma / slant)


def _morlet(sigma: float, theta: float, xi: float, slant: float) -> np.ndarray:
    wave, envelope = _gabor(sigma, theta, xi, slant), _gabor(sigma, theta, 0.0, slant)
    return wave - wave.sum() / envelope.sum() * envelope  # zero mean


def _periodize(spectrum: np.ndarray, res: int) -> np.ndarray:
    """The filter's spectrum at resolution 2**-res: high frequencies masked, then folded."""
    k, m = 2**res, PADDED // 2**res
    mask = np.ones_like(spectrum)
    start, length = int(PADDED * 2 ** (-res - 1)), int(PADDED * (1 - 2**-res))
    mask[start : start + length, :] = 0
    mask[:, start : start + length] = 0
    return (spectrum * mask).reshape(k, m, k, m).sum(axis=(0, 2))


def filter_bank() -> tuple[Any, Any, Any, list[Any]]:
    """Fourier-domain filters as real tensors: the 8 wavelets of scale 0 and the 8 of scale 1 at
    full resolution (L x 36 x 36), the scale-1 wavelets once more for the second order (kymatio
    applies them at full resolution too), and the low-pass at resolutions 1 and 1/2."""
    psi = []
    for j in range(J):
        row = []
        for t in range(L):
            theta = (int(L - L / 2 - 1) - t) * math.pi / L
            row.append(np.real(np.fft.fft2(_morlet(0.8 * 2**j, theta, 3 / 4 * math.pi / 2**j, 4 / L))))
        psi.append(torch.from_numpy(np.stack(row)).float())
    low = np.real(np.fft.fft2(_gabor(0.8 * 2 ** (J - 1), 0.0, 0.0)))
    phi = [torch.from_numpy(_periodize(low, r)).float() for r in range(J)]
    return psi[0], psi[1], psi[1], phi


# -- the transform --------------------------------------------------------------------------------


def _subsample(spectrum: Any, k: int) -> Any:
    """Spatial subsampling by ``k``, done in the Fourier domain: the k*k aliases averaged (slices
    added, because torch's strided complex mean is ten times slower)."""
    if k == 1:
        return spectrum
    m = spectrum.shape[-1] // k
    total = sum(spectrum[..., a * m : (a + 1) * m, b * m : (b + 1) * m] for a in range(k) for b in range(k))
    return total / (k * k)


def _low_pass(spectrum: Any, phi: Any, k: int) -> Any:
    """Average and subsample to 2**J, back in space, border dropped: ... x 7 x 7."""
    return torch.fft.ifft2(_subsample(spectrum * phi, k)).real[..., 1:-1, 1:-1]


def _modulus(spectrum: Any, k: int) -> Any:
    """The spectrum of |wavelet response|, the response subsampled by ``k`` first."""
    return torch.fft.fft2(torch.fft.ifft2(_subsample(spectrum, k)).abs())


def scatter(images: Any, bank: tuple[Any, Any, Any, list[Any]]) -> Any:
    """Order 0, 1 and 2 scattering coefficients of N x 28 x 28 images, in kymatio's order:
    N x 81 x 7 x 7 (1 + J*L + L*L*J*(J-1)/2 channels)."""
    psi0, psi1, psi1_second, phi = bank
    n, pad = images.shape[0], (PADDED - SIZE) // 2
    padded = torch.nn.functional.pad(images[:, None], (pad, pad, pad, pad), mode="reflect")[:, 0]
    spectrum = torch.fft.fft2(padded)
    s0 = _low_pass(spectrum, phi[0], 2**J)[:, None]
    u1_fine = _modulus(spectrum[:, None] * psi0, 1)  # N x L x 36 x 36
    u1_coarse = _modulus(spectrum[:, None] * psi1, 2)  # N x L x 18 x 18
    s1_fine = _low_pass(u1_fine, phi[0], 2**J)
    s1_coarse = _low_pass(u1_coarse, phi[1], 2 ** (J - 1))
    u2 = _modulus(u1_fine[:, :, None] * psi1_second, 2)  # N x L x L x 18 x 18
    s2 = _low_pass(u2, phi[1], 2 ** (J - 1))
    per_fine = torch.cat([s1_fine[:, :, None], s2], dim=2).reshape(n, L * (L + 1), 7, 7)
    return torch.cat([s0, per_fine, s1_coarse], dim=1)


def features(images: np.ndarray, *, groups: int = 27, chunk: int = 500) -> Any:
    """Scattering features of uint8 images, each image's channels group-normalised on its own
    statistics (Tramer and Boneh's GroupNorm, without learned parameters): N x 3969 float32."""
    bank = filter_bank()
    parts = []
    for start in range(0, len(images), chunk):
        batch = torch.from_numpy(images[start : start + chunk].astype(np.float32) / 255.0)
        coeffs = scatter(batch, bank)
        parts.append(torch.nn.functional.group_norm(coeffs, groups).flatten(1))
    return torch.cat(parts)
