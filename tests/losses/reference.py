"""Independent NumPy references, written from the papers' definitions with plain loops."""

import math

import numpy as np


def cosine(u, v):
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu == 0 or nv == 0:
        return 0.0
    return float(np.dot(u, v) / (nu * nv))


def nt_xent_algorithm1(z_a, z_b, tau):
    """SimCLR Algorithm 1, transcribed loop by loop (float64)."""
    n = len(z_a)
    z = {}
    for k in range(n):
        z[2 * k] = np.asarray(z_a[k], np.float64)  # 2k-1 in the paper's 1-based indexing
        z[2 * k + 1] = np.asarray(z_b[k], np.float64)
    s = {(i, j): cosine(z[i], z[j]) for i in range(2 * n) for j in range(2 * n)}

    def loss(i, j):
        numerator = math.exp(s[i, j] / tau)
        denominator = sum(math.exp(s[i, k] / tau) for k in range(2 * n) if k != i)
        return -math.log(numerator / denominator)

    return sum(loss(2 * k, 2 * k + 1) + loss(2 * k + 1, 2 * k) for k in range(n)) / (2 * n)


def loops_over_anchors(z_a, z_b):
    """Yields (cos matrix, anchor i, positive j, negatives) for [z_a; z_b] ordering."""
    z = np.concatenate([z_a, z_b]).astype(np.float64)
    m = len(z)
    n = m // 2
    sim = np.array([[cosine(z[i], z[k]) for k in range(m)] for i in range(m)])
    for i in range(m):
        j = (i + n) % m
        yield sim, i, j, [k for k in range(m) if k not in (i, j)]
