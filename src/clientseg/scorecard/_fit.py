"""Maximum-likelihood logistic regression on dummy-coded levels (Newton / IRLS).

The design has an intercept and one 0/1 column per non-reference level of every criterion.
It is never built whole: rows are processed in chunks of :data:`CHUNK_ROWS`, so memory stays
O(chunk x columns) and one Newton step costs one pass over the codes. The Hessian
``X' W X`` (plus ``ridge`` on the non-intercept diagonal) is computed exactly, so standard
errors are the square roots of the diagonal of its inverse at the optimum, as in
statsmodels' ``Logit``.

BLAS runs on one thread here: with a few dozen columns, the per-chunk products are too small
for threads to pay, and on a loaded machine competing BLAS threads made a step 10x slower.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import linalg
from scipy.special import expit
from threadpoolctl import threadpool_limits

__all__: list[str] = []

CHUNK_ROWS = 65_536
#: Once the largest coefficient change falls below this, Newton steps reuse the last
#: Hessian (the gradient stays exact, so the optimum is the same; convergence is still
#: fast because the Hessian hardly changes that close to the optimum).
REUSE_HESSIAN_BELOW = 0.05
#: Dense (float32) design chunks are kept between Newton steps up to this size in all.
CACHE_BYTES = 256 * 2**20
#: The fit is stalled once a Newton step raises the log-likelihood by less than this
#: fraction of it; with coefficients past :data:`DIVERGENCE_COEF` that is a divergence
#: candidate, confirmed only when the extreme rows are pure (:func:`separated`).
STALL_GAIN = 1e-10
DIVERGENCE_COEF = 10.0
#: Fitted probabilities this close to 0 or 1 mark the cells a separated fit pushes away.
SEPARATED_PROB = 1e-6


@dataclass(frozen=True)
class Design:
    """Where each level goes in the design: ``columns[c][level]`` (-1 for the reference)."""

    codes: Sequence[np.ndarray]
    columns: Sequence[np.ndarray]
    n_params: int

    @classmethod
    def build(cls, codes: Sequence[np.ndarray], n_levels: Sequence[int],
              references: Sequence[int]) -> Design:
        """Assign column numbers (1 = first after the intercept) to non-reference levels."""
        columns = []
        nxt = 1
        for n_lev, ref in zip(n_levels, references, strict=True):
            col = np.full(n_lev, -1, dtype=np.intp)
            others = [lev for lev in range(n_lev) if lev != ref]
            col[others] = np.arange(nxt, nxt + len(others))
            nxt += len(others)
            columns.append(col)
        return cls(codes=list(codes), columns=columns, n_params=nxt)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.codes[0]) if self.codes else 0

    def dense(self, start: int, stop: int, dtype: Any = np.float64) -> np.ndarray:
        """Build the design rows ``start:stop`` as a dense array (intercept first).

        The values are 0 and 1, exact in any float type; ``float32`` halves the cost.
        """
        m = stop - start
        p = self.n_params
        out = np.zeros((m, p), dtype=dtype)
        out[:, 0] = 1.0
        flat = out.reshape(-1)  # a view: out is C-contiguous
        row_start = np.arange(0, m * p, p)
        for codes, col in zip(self.codes, self.columns, strict=True):
            c = col[codes[start:stop]]
            ok = c >= 0
            flat[row_start[ok] + c[ok]] = 1.0
        return out

    def linear_predictor(self, beta: np.ndarray) -> np.ndarray:
        """``X @ beta`` without building X."""
        eta = np.full(self.n_rows, beta[0])
        for codes, col in zip(self.codes, self.columns, strict=True):
            level_beta = np.where(col >= 0, beta[np.maximum(col, 0)], 0.0)
            eta += level_beta[codes]
        return eta


@dataclass(frozen=True)
class FitResult:
    """What the Newton iterations found.

    ``max_step`` is the largest absolute coefficient change of the last Newton step and
    ``last_step`` that change for every coefficient (intercept first, design column order;
    None when unknown), so a fit stopped by ``max_iter`` can say which levels still moved.
    """

    beta: np.ndarray
    cov: np.ndarray
    loglik: float
    n_iter: int
    converged: bool
    diverging: bool
    singular: bool
    max_step: float
    aliased: tuple[int, ...] = ()
    last_step: np.ndarray | None = None


def _loglik(eta: np.ndarray, y: np.ndarray) -> float:
    # log L = sum(y*eta - log(1 + exp(eta))), computed stably
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def _gradient(design: Design, resid: np.ndarray) -> np.ndarray:
    """``X' (y - mu)`` from per-level sums (exact float64, no dense design)."""
    grad = np.zeros(design.n_params)
    grad[0] = resid.sum()
    for codes, col in zip(design.codes, design.columns, strict=True):
        sums = np.bincount(codes, weights=resid, minlength=len(col))
        ok = col >= 0
        grad[col[ok]] = sums[ok]
    return grad


def _grad_hess(design: Design, y: np.ndarray, mu: np.ndarray, cache: dict[int, np.ndarray],
               *, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian ``X' W X`` of the log-likelihood.

    With ``exact=False`` the Hessian is accumulated in float32 (half the cost): Newton steps
    only need a good approximation of it, since the gradient, which decides the optimum,
    stays exact in float64. The final Hessian, whose inverse gives the standard errors, is
    computed in float64.
    """
    p = design.n_params
    dtype: type[np.floating[Any]] = np.float64 if exact else np.float32
    hess = np.zeros((p, p))
    w = (mu * (1.0 - mu)).astype(dtype)
    # Keep as many leading chunks as fit in CACHE_BYTES (not all or nothing: past the
    # budget only the remaining chunks are rebuilt at each step).
    n_keep = CACHE_BYTES // max(CHUNK_ROWS * p * 4, 1)
    for i, start in enumerate(range(0, design.n_rows, CHUNK_ROWS)):
        stop = min(start + CHUNK_ROWS, design.n_rows)
        x = cache.get(start)
        if x is None:
            x = design.dense(start, stop, np.float32)  # 0/1 values: exact in float32
            if i < n_keep:
                cache[start] = x
        xd: np.ndarray = x.astype(dtype, copy=False)
        wd: np.ndarray = w[start:stop, None]
        hess += ((xd * wd).T @ xd).astype(np.float64)
    return _gradient(design, y - mu), hess


def _solve(hess: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, bool]:
    try:
        factor = linalg.cho_factor(hess, check_finite=False)
        return linalg.cho_solve(factor, grad, check_finite=False), False
    except linalg.LinAlgError:
        return np.linalg.lstsq(hess, grad, rcond=None)[0], True


def fit_logistic(*args: Any, **kwargs: Any) -> FitResult:
    """Run :func:`_fit_logistic` with BLAS limited to one thread (see the module docstring)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_logistic(*args, **kwargs)


def _fit_logistic(
    design: Design,
    y: np.ndarray,
    *,
    ridge: float = 0.0,
    max_iter: int = 100,
    tol: float = 1e-8,
) -> FitResult:
    """Maximise the (ridge-penalised) log-likelihood by Newton steps with step halving.

    Converged: the largest coefficient change of the full Newton step is below
    ``tol * (1 + max |beta|)``. Stalled: a step raised the log-likelihood by less than
    :data:`STALL_GAIN` of it, with coefficients past :data:`DIVERGENCE_COEF` or a line
    search that found no better point. Diverging: stalled with large coefficients and
    pure extreme rows (:func:`separated`), the signature of (quasi-)separation.
    """
    y = y.astype(float)
    p = design.n_params
    beta = np.zeros(p)
    ybar = float(np.clip(y.mean(), 1e-12, 1 - 1e-12))
    beta[0] = np.log(ybar / (1 - ybar))
    pen = np.full(p, float(ridge))
    pen[0] = 0.0

    def objective(b: np.ndarray) -> tuple[float, np.ndarray]:
        eta = design.linear_predictor(b)
        return _loglik(eta, y) - 0.5 * float(np.sum(pen * b * b)), eta

    obj, eta = objective(beta)
    cache: dict[int, np.ndarray] = {}
    converged = diverging = singular = False
    step_size = newton = np.inf
    last_step = np.full(p, np.inf)
    n_iter = 0
    hess: np.ndarray | None = None
    # Steps start on a float32 Hessian; a small step must be confirmed on an exact one,
    # since float32 rounding can hide the little curvature left along a separating
    # direction and make a stalled fit look converged.
    exact = hess_exact = False
    for n_iter in range(1, max_iter + 1):  # noqa: B007  (n_iter is reported)
        mu = expit(eta)
        if hess is None or newton > REUSE_HESSIAN_BELOW or hess_exact != exact:
            grad, hess = _grad_hess(design, y, mu, cache, exact=exact)
            hess[np.diag_indices(p)] += pen
            hess_exact = exact
        else:  # near the optimum the Hessian barely moves: keep it (chord Newton step)
            grad = _gradient(design, y - mu)
        grad -= pen * beta
        step, sing = _solve(hess, grad)
        singular = singular or sing
        t = 1.0
        while True:
            cand = beta + t * step
            new_obj, new_eta = objective(cand)
            if new_obj >= obj - 1e-12 * (1 + abs(obj)) or t < 1e-6:
                break
            t /= 2
        # Convergence is judged on the full Newton step: a line search that found no
        # better point moves beta by almost nothing, which is a stall, not an optimum.
        newton = float(np.max(np.abs(step)))
        last_step = cand - beta
        step_size = float(np.max(np.abs(last_step)))
        gain = new_obj - obj
        beta, obj, eta = cand, new_obj, new_eta
        if newton <= tol * (1 + float(np.max(np.abs(beta)))):
            if hess_exact:
                converged = True
                break
            exact = True
            continue
        large = float(np.max(np.abs(beta[1:]), initial=0.0)) > DIVERGENCE_COEF
        if gain <= STALL_GAIN * (1 + abs(obj)) and (large or t < 1e-6):
            diverging = large and separated(eta, y)
            break
    mu = expit(eta)
    _, hess = _grad_hess(design, y, mu, cache, exact=True)
    hess[np.diag_indices(p)] += pen
    try:
        with warnings.catch_warnings():  # an ill-conditioned Hessian is a singular design
            warnings.simplefilter("error", linalg.LinAlgWarning)
            cov = linalg.inv(hess, check_finite=False)
        if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) < 0):
            raise linalg.LinAlgError("not positive definite")
    except (linalg.LinAlgError, linalg.LinAlgWarning):
        cov = np.linalg.pinv(hess)
        singular = True
    # An ill-conditioned Hessian has two causes: levels that are exact combinations of
    # others (aliasing, a property of the design) or fitted probabilities at 0 and 1 (the
    # weights of a separated fit). Only the first is named as aliasing, and it is read off
    # the unweighted design, whose rank does not depend on how far the fit went.
    aliased = aliased_columns(design, cache) if singular else ()
    return FitResult(beta=beta, cov=cov, loglik=float(obj), n_iter=n_iter,
                     converged=converged, diverging=diverging, singular=singular,
                     max_step=step_size, aliased=aliased, last_step=last_step)


def separated(eta: np.ndarray, y: np.ndarray) -> bool:
    """Whether a stalled fit is (quasi-)separated: its extreme rows are all pure.

    Albert & Anderson (1984): without a finite maximum, the likelihood keeps rising as some
    cells' log-odds go to +/-infinity, and those cells hold one outcome only. At a stall
    (gain below :data:`STALL_GAIN` of the log-likelihood) such a cell of ``m`` rows still
    gains about ``m * exp(-|eta|)`` per step, so its fitted probability is well within
    :data:`SEPARATED_PROB` of 0 or 1. The fit is separated when some rows are that extreme
    and every one of them has the outcome its probability predicts. The verdict reads the
    linear predictor, not the Hessian, so it does not depend on the BLAS kernel.
    """
    edge = float(np.log((1.0 - SEPARATED_PROB) / SEPARATED_PROB))
    high, low = eta > edge, eta < -edge
    if not (high.any() or low.any()):
        return False
    return bool(np.all(y[high] == 1) and np.all(y[low] == 0))


def aliased_columns(design: Design, cache: dict[int, np.ndarray] | None = None,
                    ) -> tuple[int, ...]:
    """Design columns (intercept = 0) in the null space of the unweighted design.

    The Gram matrix ``X'X`` holds level counts, computed exactly in float64. Its columns
    are scaled to a unit diagonal (so a rare level counts as much as a common one) and its
    rank taken with :func:`numpy.linalg.matrix_rank`'s tolerance, ``p * eps * lambda_max``
    (Golub & Van Loan): eigenvalues below it are rounding noise of an exact zero. Columns
    with a loading above 0.05 on the null space are named.
    """
    p = design.n_params
    gram = np.zeros((p, p))
    for start in range(0, design.n_rows, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, design.n_rows)
        x = (cache or {}).get(start)
        if x is None:
            x = design.dense(start, stop, np.float32)
        xd = x.astype(np.float64)
        gram += xd.T @ xd
    diag = np.diag(gram).copy()
    empty = diag == 0.0  # a level no row has is its own null space
    diag[empty] = 1.0
    scaled = gram / np.sqrt(np.outer(diag, diag))
    vals, vecs = np.linalg.eigh(scaled)
    tol = p * np.finfo(float).eps * max(float(vals.max()), 1.0)
    null = vecs[:, vals <= tol]
    out = np.any(np.abs(null) > 0.05, axis=1) | empty
    return tuple(int(j) for j in np.flatnonzero(out))
