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


def _column_statistics(z, ddof):
    """Per-dimension mean and variance over the batch, by loops (float64)."""
    n, d = len(z), len(z[0])
    means = [sum(float(z[b][j]) for b in range(n)) / n for j in range(d)]
    variances = [sum((float(z[b][j]) - means[j]) ** 2 for b in range(n)) / (n - ddof)
                 for j in range(d)]
    return means, variances


def negative_cosine_similarity_simsiam(p, z):
    """SimSiam's D(p, z) = -p/||p|| . z/||z||, averaged over the batch."""
    return -sum(cosine(p[i], z[i]) for i in range(len(p))) / len(p)


def barlow_twins_algorithm1(z_a, z_b, lambda_param, epsilon=1e-5, ddof=0):
    """Barlow Twins' Algorithm 1, loop by loop (float64).

    The paper standardises with `z.std(0)` (ddof=1, no epsilon); the authors' code with
    `BatchNorm1d(affine=False)`, i.e. ddof=0 and epsilon=1e-5, the defaults here.
    """
    n, d = len(z_a), len(z_a[0])
    standardized = []
    for z in (z_a, z_b):
        means, variances = _column_statistics(z, ddof)
        standardized.append([[(float(z[b][j]) - means[j]) / math.sqrt(variances[j] + epsilon)
                              for j in range(d)] for b in range(n)])
    a, b_ = standardized
    c = [[sum(a[k][i] * b_[k][j] for k in range(n)) / n for j in range(d)] for i in range(d)]
    on_diagonal = sum((1.0 - c[i][i]) ** 2 for i in range(d))
    off_diagonal = sum(c[i][j] ** 2 for i in range(d) for j in range(d) if i != j)
    return on_diagonal + lambda_param * off_diagonal


def vicreg_terms_reference(z_a, z_b, epsilon=1e-4):
    """VICReg's (invariance, variance, covariance), loop by loop (float64).

    Variance: the mean over the two branches of 1/d sum_j max(0, 1 - sqrt(Var_j + eps));
    covariance: the sum over the branches of 1/d sum_{i != j} Cov_ij^2; both with 1/(N-1).
    """
    n, d = len(z_a), len(z_a[0])
    invariance = sum((float(z_a[b][j]) - float(z_b[b][j])) ** 2
                     for b in range(n) for j in range(d)) / (n * d)
    variance, covariance = 0.0, 0.0
    for z in (z_a, z_b):
        means, variances = _column_statistics(z, ddof=1)
        variance += sum(max(0.0, 1.0 - math.sqrt(v + epsilon)) for v in variances) / d / 2
        for i in range(d):
            for j in range(d):
                if i != j:
                    cov = sum((float(z[b][i]) - means[i]) * (float(z[b][j]) - means[j])
                              for b in range(n)) / (n - 1)
                    covariance += cov**2 / d
    return invariance, variance, covariance
