"""The calibration map and its bootstrap: how uncertain are the probabilities themselves.

Given calibration data -- the model's probabilities ``p`` on contacts whose outcome ``y``
is known (a hold-out sample, or the last campaign) -- the map

    logit P(y = 1 | p) = a + b * logit(p)

is fitted by maximum likelihood (Platt scaling on the logit, Cox's calibration slope and
intercept: ``a = 0, b = 1`` is a calibrated model; ``b < 1`` means over-confident
probabilities). ``n_boot`` resamples of the calibration contacts give ``n_boot`` maps; each
turns the planned probabilities into another set, hence another expected-profit curve. The
spread of those curves is the calibration band.

Speed. The calibration contacts are reduced to cells (distinct logit value, or one of 2,000
quantile bins when there are more distinct values, x outcome); resampling contacts with
replacement is then a draw of counts over the cells (Poisson bootstrap), and the
``n_boot`` fits are one vectorised Newton iteration over (n_boot, cells) arrays. The
planned contacts are read in blocks: within a block the map is replaced by its
second-order Taylor expansion around the block's value-weighted mean logit, which needs
three sums per block computed once, so the cost is O(n + n_boot x blocks), not
O(n x n_boot). Below ``EXACT_LIMIT`` contact x resample pairs every contact is mapped
exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from clientseg.exceptions import InvalidDataError

__all__: list[str] = []

#: Probabilities are clipped to [EPS, 1 - EPS] before taking the logit (logit(0) = -inf).
EPS = 1e-9
#: Distinct calibration logits kept as they are up to this count; beyond, quantile bins.
MAX_CELLS = 2_000
#: Below this many (contact x resample) pairs the bootstrap maps every contact exactly.
EXACT_LIMIT = 20_000_000
#: Blocks of planned contacts in the Taylor path (plus one per reported depth).
N_BLOCKS = 4_096
#: Ridge pulling (a, b) toward the identity map (0, 1): one pseudo-contact's worth, so a
#: resample that separates the outcomes still gives a finite map.
RIDGE = 1.0
#: Fewest converted and non-converted calibration contacts accepted.
MIN_CLASS = 10


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of ``p`` clipped to [EPS, 1 - EPS]."""
    q = np.clip(p, EPS, 1 - EPS)
    return np.log(q / (1 - q))


@dataclass(frozen=True)
class CalibrationFit:
    """Point map ``(a, b)``, the bootstrap maps (n_boot, 2) and the calibration size."""

    a: float
    b: float
    boot: np.ndarray
    n_contacts: int
    n_converted: int


def _cells(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell logits (K,) and counts (2, K) of non-converted / converted contacts."""
    uniq, inv = np.unique(x, return_inverse=True)
    if uniq.size > MAX_CELLS:
        edges = np.quantile(x, np.linspace(0, 1, MAX_CELLS + 1)[1:-1])
        inv = np.searchsorted(edges, x, side="right")
        k = MAX_CELLS
        sums = np.bincount(inv, weights=x, minlength=k)
        cnt = np.bincount(inv, minlength=k)
        keep = cnt > 0
        uniq = sums[keep] / cnt[keep]
        inv = (np.cumsum(keep) - 1)[inv]
    k = uniq.size
    counts = np.stack([np.bincount(inv[y == 0], minlength=k),
                       np.bincount(inv[y == 1], minlength=k)]).astype(float)
    return uniq, counts


def _loglik(theta: np.ndarray, xs: np.ndarray, n0: np.ndarray, n1: np.ndarray) -> np.ndarray:
    """Penalised log-likelihood of each row's (a, b)."""
    eta = theta[:, :1] + theta[:, 1:] * xs
    ll = -(n1 * np.logaddexp(0.0, -eta) + n0 * np.logaddexp(0.0, eta)).sum(1)
    return ll - 0.5 * RIDGE * (theta[:, 0] ** 2 + (theta[:, 1] - 1) ** 2)


def _newton(xs: np.ndarray, n0: np.ndarray, n1: np.ndarray, start: np.ndarray | None = None,
            n_iter: int = 100) -> np.ndarray:
    """Fit (a, b) for each row of the count arrays (B, K); returns (B, 2).

    Newton steps with step halving (per row) so the penalised log-likelihood never falls:
    it is concave, so this converges from any start. The start is ``start`` (the point
    fit, for the resamples) or the constant model.
    """
    tot = n0 + n1
    if start is None:
        rate = (n1.sum(1) + 0.5) / (tot.sum(1) + 1.0)
        theta = np.stack([np.log(rate / (1 - rate)), np.zeros_like(rate)], axis=1)
    else:
        theta = np.tile(start, (n0.shape[0], 1))
    ll = _loglik(theta, xs, n0, n1)
    for _ in range(n_iter):
        mu = expit(theta[:, :1] + theta[:, 1:] * xs)
        r = n1 - tot * mu
        w = tot * mu * (1 - mu)
        g0 = r.sum(1) - RIDGE * theta[:, 0]
        g1 = (r * xs).sum(1) - RIDGE * (theta[:, 1] - 1)
        h00 = w.sum(1) + RIDGE
        h01 = (w * xs).sum(1)
        h11 = (w * xs * xs).sum(1) + RIDGE
        det = h00 * h11 - h01 * h01
        step = np.stack([(h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det], axis=1)
        t = np.ones(len(theta))
        new = theta + step
        new_ll = _loglik(new, xs, n0, n1)
        for _ in range(30):  # halve the step of the rows whose likelihood fell
            worse = new_ll < ll - 1e-12 * np.abs(ll)
            if not worse.any():
                break
            t[worse] /= 2
            new[worse] = theta[worse] + t[worse, None] * step[worse]
            new_ll[worse] = _loglik(new[worse], xs, n0[worse], n1[worse])
        done = np.max(np.abs(new - theta)) < 1e-9
        theta, ll = new, new_ll
        if done:
            break
    return theta


def fit_calibration(p: np.ndarray, y: np.ndarray, *, n_boot: int,
                    rng: np.random.Generator) -> CalibrationFit:
    """Fit the map on (p, y) and on ``n_boot`` resamples of the calibration contacts."""
    n1 = int(y.sum())
    n0 = y.size - n1
    if min(n0, n1) < MIN_CLASS:
        raise InvalidDataError(
            f"Parameter 'calibration' has {n1:,} converted and {n0:,} non-converted "
            f"contacts; fitting the calibration map needs at least {MIN_CLASS} of each. "
            f"Pass a larger labelled sample (a hold-out set or the last campaign), or "
            f"calibration=None to take the probabilities as they are.")
    xs, counts = _cells(logit(p), y)
    a, b = _newton(xs, counts[:1], counts[1:])[0]
    if n_boot:
        # Poisson bootstrap: each contact appears Poisson(1) times in a resample, so a
        # cell of c contacts gets a Poisson(c) count (the multinomial resample of fixed
        # size, up to a total that varies by ~1/sqrt(m)); cells are independent.
        draws = rng.poisson(counts, size=(n_boot, *counts.shape)).astype(float)
        boot = _newton(xs, draws[:, 0], draws[:, 1], start=np.array([a, b]))
    else:
        boot = np.empty((0, 2))
    return CalibrationFit(float(a), float(b), boot, int(y.size), n1)


def apply_map(a: float, b: float, x: np.ndarray) -> np.ndarray:
    """Probabilities under the map (a, b) from logits ``x``."""
    return np.asarray(expit(a + b * x))


def boot_revenue(x: np.ndarray, v: np.ndarray, depths: np.ndarray, boot: np.ndarray, *,
                 exact: bool | None = None) -> np.ndarray:
    """Return the expected revenue at ``depths`` under each map: (n_boot, len(depths)).

    ``x`` (logits) and ``v`` (values) are in plan order; ``depths`` sorted, in [0, n].
    """
    n = x.size
    n_boot = boot.shape[0]
    if exact is None:
        exact = n * n_boot <= EXACT_LIMIT
    a, b = boot[:, :1], boot[:, 1:]
    out = np.empty((n_boot, depths.size))
    if exact:
        step = max(1, EXACT_LIMIT // (4 * max(n, 1)))
        for s in range(0, n_boot, step):  # chunks of resamples, never of contacts
            q = expit(a[s:s + step] + b[s:s + step] * x) * v
            cum = np.concatenate([np.zeros((q.shape[0], 1)), np.cumsum(q, axis=1)], axis=1)
            out[s:s + step] = cum[:, depths]
        return out
    bounds = np.union1d(depths, np.linspace(0, n, N_BLOCKS + 1).round().astype(np.int64))
    starts = bounds[:-1]
    size = np.diff(bounds).astype(float)
    # sums of v, v x and v x^2 per block; s2 = sum v (x - xbar)^2 by expansion (blocks
    # are short and x moderate: |x| <= 21, so the cancellation costs < 1e-10 relative)
    m1 = np.add.reduceat(x, starts)
    m2 = np.add.reduceat(x * x, starts)
    if v.size and np.all(v == v[0]):
        s0, s1, s2raw = v[0] * size, v[0] * m1, v[0] * m2
    else:
        vx = v * x
        s0, s1, s2raw = np.add.reduceat(v, starts), np.add.reduceat(vx, starts), \
            np.add.reduceat(vx * x, starts)
    xbar = np.where(s0 > 0, s1 / np.where(s0 > 0, s0, 1.0), m1 / size)
    s2 = np.maximum(s2raw - 2 * xbar * s1 + xbar * xbar * s0, 0.0)
    f = expit(a + b * xbar)
    f2 = b * b * f * (1 - f) * (1 - 2 * f)
    block = f * s0 + 0.5 * f2 * s2
    cum = np.concatenate([np.zeros((n_boot, 1)), np.cumsum(block, axis=1)], axis=1)
    return cum[:, np.searchsorted(bounds, depths)]
