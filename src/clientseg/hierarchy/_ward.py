"""The weighted Ward merge engine behind :mod:`clientseg.hierarchy` (private).

Algorithm
---------
Ward's merge cost between clusters ``a`` and ``b`` (centroids ``c``, masses ``w``) is

    Δ(a, b) = w_a w_b / (w_a + w_b) · ||c_a − c_b||²,

the rise in within-cluster inertia when they merge. The engine keeps only the active
clusters' centroids, masses and squared norms (O(n·d) memory, no condensed distance
matrix) and runs the *generic* agglomerative algorithm of Müllner (2011, "Modern
hierarchical, agglomerative clustering algorithms", arXiv:1109.2378) with lazily updated
nearest neighbours:

* every active cluster ``j`` has one heap entry ``(L_j, j, nn_j)``; the entry is *valid*
  when ``nn_j`` is still active, and then ``L_j`` is the exact cost of ``j``'s nearest
  neighbour;
* Ward is *reducible*: ``Δ(a ∪ b, x) ≥ min(Δ(a, x), Δ(b, x))``. So when ``j``'s neighbour
  is merged away, the old ``L_j`` stays a valid lower bound of ``j``'s new nearest cost,
  and nothing needs recomputing until that stale entry reaches the top of the heap;
* popping the smallest entry: a valid one is the globally cheapest pair, which is merged,
  and the new cluster gets one nearest-neighbour scan; a stale one first tries its cache
  (the clusters now holding its 3 nearest at its last scan, re-costed in O(d), accepted if
  within the bound on every other cluster), else has its lower bound raised to that bound
  and is pushed back, and is scanned only when it surfaces again.

For a reducible method this yields the same hierarchy as the nearest-neighbour chain that
scipy and fastcluster run, and the merges come out in height order, so the scipy
labelling needs no sort. About 1.8 scans per merge were needed on 8-dimensional blobs.

Each scan is one vectorised pass over the active clusters. The squared distances are
formed as ``||c_j||² + ||c||² − 2 c_j·c`` by one float32 matrix-vector product, whose
rounding error is bounded; every cluster whose approximate cost is within that bound of
the minimum is then re-costed in float64 with the direct formula ``||c_j − c||²``, so the
neighbour chosen and the cost recorded are those of the direct formula whatever the
cancellation (ties go to the smallest cluster id). The initial neighbours come from a k-d
tree (scipy ``cKDTree``; scikit-learn's brute-force search above 16 dimensions).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from clientseg.exceptions import InvalidDataError, InvalidParameterError

__all__: list[str] = []

_EPS = np.finfo(np.float64).eps
_EPS32 = float(np.finfo(np.float32).eps)
#: Nearest clusters cached per cluster (their holders are re-costed before any full query).
_CACHE = 3


@dataclass(frozen=True)
class WardMerges:
    """Raw output of the engine: one row per merge, in height order."""

    children: np.ndarray  # (n-1, 2) int64, smaller id first, scipy ids
    gains: np.ndarray  # (n-1,) inertia added by each merge (Ward cost)
    sizes: np.ndarray  # (n-1,) number of leaves in the merged cluster
    weights: np.ndarray  # (n-1,) mass of the merged cluster
    centroids: np.ndarray  # (n-1, d) centroid of the merged cluster (original coordinates)
    heights: np.ndarray  # (n-1,) sqrt(2 gain), computed before unscaling (no overflow)


#: Largest ratio of two positive masses the float32 scan represents (``1/w`` must stay a
#: normal float32 once the masses are scaled to a largest mass of 1).
MAX_WEIGHT_RATIO = 1e30


def _pow2_scale(values: np.ndarray, *, even: bool = False) -> float:
    """Power of two near ``max |values|`` (1.0 for zeros): dividing by it is exact.

    ``even`` gives an even exponent, so that the square root of the scale is exact too.
    """
    top = float(np.max(np.abs(values))) if values.size else 0.0
    if not np.isfinite(top) or top == 0.0:
        return 1.0
    exponent = int(np.frexp(top)[1]) - 1  # 2**exponent <= top < 2**(exponent + 1)
    exponent -= exponent % 2 if even else 0
    return float(np.ldexp(1.0, exponent))


class _Progress:
    """Minimal wrapper over tqdm.auto, updated at most about a hundred times."""

    def __init__(self, total: int, enabled: bool, desc: str) -> None:
        self._bar: Any = None
        self._step = max(total // 100, 1)
        self._pending = 0
        if enabled:
            try:
                from tqdm.auto import tqdm  # imported only when asked for
            except ImportError:
                raise InvalidParameterError(
                    "Parameter 'progress' is True but tqdm is not installed. Install it "
                    "(pip install tqdm) or pass progress=False."
                ) from None

            self._bar = tqdm(total=total, desc=desc, unit="merge")

    def update(self) -> None:
        if self._bar is None:
            return
        self._pending += 1
        if self._pending >= self._step:
            self._bar.update(self._pending)
            self._pending = 0

    def close(self) -> None:
        if self._bar is not None:
            self._bar.update(self._pending)
            self._bar.close()


def _initial_neighbours(
    C: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, bool, np.ndarray, np.ndarray]:
    """Per point: nearest cost (or a lower bound), the ``_CACHE`` nearest ids, validity, bound.

    With equal masses the Euclidean nearest neighbours are the Ward ones, so the entries
    are exact (valid), and the next-nearest cost bounds every point not cached. With
    unequal masses ``w_i w_j / (w_i + w_j)`` grows with ``w_j``, so
    ``w_i w_min / (w_i + w_min) · d_nn(i)²`` bounds every pair of ``i`` (entries stale).
    """
    n, d = C.shape
    k = min(_CACHE + 2, n)
    if d <= 16:
        dist, idx = cKDTree(C).query(C, k=k, workers=-1)
    else:  # k-d trees lose to a blocked brute-force search in high dimension
        dist, idx = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(C).kneighbors(C)
    # Drop each point's own column (with duplicates it need not come first).
    is_self = idx == np.arange(n)[:, None]
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), k - 1)
    keep = np.ones(is_self.shape, dtype=bool)
    keep[np.arange(n), drop] = False
    idx = idx[keep].reshape(n, k - 1)
    dist = dist[keep].reshape(n, k - 1)
    other = idx[:, 0]
    diff = C - C[other]
    d2 = np.einsum("ij,ij->i", diff, diff)
    if np.all(w == w[0]):
        cost = d2 / (1.0 / w + 1.0 / w[other])
        cached = idx[:, : min(_CACHE, k - 1)]
        if k - 1 > _CACHE:
            bound = dist[:, _CACHE] ** 2 / (2.0 / w[0]) * (1.0 - 64.0 * _EPS)
        else:  # every other point is cached: nothing else to bound
            bound = np.full(n, np.inf)
        return cost, cached, True, np.maximum(bound, cost), other
    low = d2 / (1.0 / w + 1.0 / w.min()) * (1.0 - 64.0 * _EPS)
    return low, np.full((n, 0), -1), False, np.zeros(n), other


def ward_merges(X: np.ndarray, w: np.ndarray, *, progress: bool = False) -> WardMerges:
    """Run weighted Ward agglomeration on rows ``X`` with masses ``w`` (validated inputs).

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Finite float64 points (never modified), n >= 2.
    w : ndarray of shape (n,)
        Positive finite masses.
    progress : bool
        Show a tqdm progress bar over the merges.

    Returns
    -------
    WardMerges
        Merges in non-decreasing cost order, with scipy's cluster ids.

    Notes
    -----
    Ward's merge order is invariant to a common scale of ``X`` and of ``w``: the engine
    runs on ``X / sx`` and ``w / sw`` (powers of two, so the division is exact and the
    result bit-identical wherever the unscaled run did not overflow), then scales the
    costs back. Values up to float64's largest thus work; masses whose ratio exceeds
    :data:`MAX_WEIGHT_RATIO` are refused (the float32 scan cannot hold ``1/w``).
    """
    ratio = float(w.max() / w.min())
    if not ratio <= MAX_WEIGHT_RATIO:
        raise InvalidDataError(
            f"sample_weight spans a ratio of {ratio:.3g} between its largest and smallest "
            f"positive weight (largest at row {int(np.argmax(w))}); the Ward engine supports "
            f"ratios up to {MAX_WEIGHT_RATIO:.0e}. Rescale or cap the weights (e.g. "
            f"np.clip(w, w.max() / {MAX_WEIGHT_RATIO:.0e}, None))."
        )
    sx = _pow2_scale(X)
    sw = _pow2_scale(w, even=True)
    merges = _Engine(X / sx, w / sw).run(progress)
    heights = np.sqrt(2.0 * np.maximum(merges.gains, 0.0)) * (sx * np.sqrt(sw))
    with np.errstate(over="ignore"):
        gains = merges.gains * sx * sx * sw  # may overflow to inf past ~1e154
    return WardMerges(
        merges.children,
        gains,
        merges.sizes,
        merges.weights * sw,
        merges.centroids * sx,
        heights,
    )


class _Engine:
    """State of one agglomeration (see the module docstring for the algorithm).

    Positions ``0..width-1`` hold clusters; merged-away positions are marked dead and the
    arrays are compacted when an eighth of the columns are dead.

    * ``A`` (n, d), float64: centroids centred on the median; the exact costs use it.
    * ``S`` (d + 2, n), float32: the scan matrix ``[c; ||c||²; 1]`` and ``Q`` (n, d + 2) its
      query rows ``[-2c, 1, ||c||²]``, so one contiguous matrix-vector product
      ``Q[p] @ S`` approximates every squared distance to cluster ``p`` (dead columns have
      ``||c||² = inf``); float32 halves the memory traffic, and its rounding is bounded and
      repaired by exact re-costing (module docstring).
    * Each cluster ``j`` caches the ids of its two nearest clusters at its last query
      (``nn1``, ``nn2``) and ``bound[j]``, a lower bound of its cost to every cluster holding
      neither. When its neighbour is merged away, the clusters now holding ``nn1``/``nn2``
      are re-costed exactly (O(d)); if the cheaper is within ``bound[j]`` it is ``j``'s
      nearest neighbour (reducibility) and no O(n·d) query is needed.

    The per-id bookkeeping lives in Python lists: the merge loop reads them one scalar at
    a time, which lists do several times faster than numpy arrays.
    """

    def __init__(self, X: np.ndarray, w: np.ndarray) -> None:
        n, d = X.shape
        self.n, self.d = n, d
        # Centring shrinks the norms, hence the expansion's rounding, and keeps the exact
        # costs of offset data precise. The coordinate-wise median, not the mean: a far
        # outlier drags the mean away, and centring on it would round away the
        # differences between the other points.
        self.centre = np.median(X, axis=0)
        self.A = X - self.centre
        sq = np.einsum("ij,ij->i", self.A, self.A)
        self.S = np.empty((d + 2, n), dtype=np.float32)
        self.S[:d] = self.A.T
        self.S[d] = sq
        self.S[d + 1] = 1.0
        self.Q = np.empty((n, d + 2), dtype=np.float32)
        self.Q[:, :d] = -2.0 * self.A
        self.Q[:, d] = 1.0
        self.Q[:, d + 1] = sq
        self.sq = sq.tolist()
        self.sqmax = float(sq.max())
        self.W = w.astype(np.float64, copy=True)
        self.invW = 1.0 / self.W
        self.invW32 = self.invW.astype(np.float32)
        self.Wl = self.W.tolist()
        self.pos_id = np.arange(n, dtype=np.int64)  # id at position (-1: dead)
        ids = 2 * n - 1
        self.id_pos = list(range(n)) + [-1] * (n - 1)
        self.alive = [True] * n + [False] * (n - 1)
        self.parent = [-1] * ids
        self.cache: list[list[int]] = [[]] * ids
        self.bound = [0.0] * ids
        self.width = n  # number of columns in use (alive + dead)
        self.n_dead = 0
        self.a = np.empty(n, dtype=np.float32)  # scan results (length: width)
        self.g = np.empty(n, dtype=np.float32)
        # Rounding of the float32 scan, before the mass factor: storing c and ||c||² in
        # float32 (u/2 each) and a dot product of length d + 2 (γ_{d+2} on terms summing to
        # at most 2 (sq_j + sq_c)) give |error| <= (d + 4) u (sq_j + sq_c); 1.5 x for margin.
        # The division adds a few relative roundings (the 1 ± 8u factors below).
        self.k_err = 1.5 * (d + 4) * _EPS32

    def query(self, j: int) -> tuple[float, int]:
        """Nearest Ward neighbour (cost, id) of cluster ``j``; refresh its cache.

        The cost is that of the direct float64 formula; ties go to the smallest id.
        """
        p = self.id_pos[j]
        wc = self.Wl[p]
        a, g = self.a, self.g
        np.dot(self.Q[p], self.S, out=a)
        np.add(self.invW32, 1.0 / wc, out=g)
        np.divide(a, g, out=a)
        a[p] = np.inf
        i1 = a.argmin()
        b1 = a.item(i1)
        a[i1] = np.inf
        i2 = a.argmin()
        b2 = a.item(i2)
        # The mass factor is <= wc, so one absolute bound covers every column.
        slack = 2.0 * self.k_err * wc * (self.sqmax + self.sq[p])
        thr = b1 * (1.0 + 8.0 * _EPS32) + slack
        A = self.A
        pos_id = self.pos_id
        if b2 > thr:
            # Cache the next nearest too; dead columns and p itself are inf: never cached.
            cached = [pos_id.item(i1)]
            rest, i = b2, i2
            while rest < np.inf and len(cached) < _CACHE:
                cached.append(pos_id.item(i))
                a[i] = np.inf
                i = a.argmin()
                rest = a.item(i)
            diff = A[i1] - A[p]
            cost = float(diff @ diff) / (1.0 / self.Wl[i1] + 1.0 / wc)
            self.cache[j] = cached
            self.bound[j] = max(rest * (1.0 - 8.0 * _EPS32) - slack, cost)
            return cost, cached[0]
        a[i1] = b1
        cand = (a <= thr).nonzero()[0]
        diff = A[cand] - A[p]
        exact = np.einsum("ij,ij->i", diff, diff) / (self.invW[cand] + 1.0 / wc)
        low = float(exact.min())
        nn = int(pos_id[cand[exact == low]].min())
        self.cache[j] = [nn]
        self.bound[j] = low
        return low, nn

    def holder(self, i: int) -> int:
        """Return the active cluster that now contains cluster ``i`` (``-1`` stays ``-1``)."""
        parent, alive = self.parent, self.alive
        start = i
        while i >= 0 and not alive[i]:
            i = parent[i]
        while start >= 0 and not alive[start] and parent[start] != i:  # path compression
            parent[start], start = i, parent[start]
        return i

    def pair_cost(self, i: int, k: int) -> float:
        """Direct-formula Ward cost between two active clusters (by id)."""
        pa, pb = self.id_pos[i], self.id_pos[k]
        diff = self.A[pa] - self.A[pb]
        return float(diff @ diff) / (1.0 / self.Wl[pa] + 1.0 / self.Wl[pb])

    def compact(self) -> None:
        """Drop dead columns so that queries scan only active clusters."""
        keep = np.flatnonzero(self.pos_id[: self.width] >= 0)
        m = keep.size
        # New arrays, not slices: the scan needs S to be one contiguous block.
        self.A = self.A[keep]
        self.S = np.ascontiguousarray(self.S[:, keep])
        self.Q = self.Q[keep]
        self.W = self.W[keep]
        self.invW = self.invW[keep]
        self.invW32 = self.invW32[keep]
        self.Wl = self.W.tolist()
        self.sq = [self.sq[i] for i in keep.tolist()]
        self.pos_id = self.pos_id[keep]
        for pos, i in enumerate(self.pos_id.tolist()):
            self.id_pos[i] = pos
        self.width = m
        self.n_dead = 0
        self.a = self.a[:m]
        self.g = self.g[:m]

    def refresh(self, j: int, popped: float) -> tuple[float, int]:
        """Nearest neighbour of ``j`` after its cached nearest one was merged away.

        Returns ``(cost, id)`` of a valid entry, or ``(bound, -1)``: a larger lower bound
        that defers the scan (the entry may be discarded unscanned if ``j`` is merged
        first as another cluster's neighbour).
        """
        id_pos, A, Wl = self.id_pos, self.A, self.Wl
        p = id_pos[j]
        a_p = A[p]
        inv_p = 1.0 / Wl[p]
        best, best_id = np.inf, -1
        seen = []
        for i in self.cache[j]:
            h = self.holder(i)
            if h < 0 or h in seen:
                continue
            seen.append(h)
            q = id_pos[h]
            diff = A[q] - a_p
            c = float(diff @ diff) / (inv_p + 1.0 / Wl[q])
            if c < best or (c == best and h < best_id):
                best, best_id = c, h
        bound = self.bound[j]
        if best <= bound:
            return best, best_id
        if popped < bound:
            # every cluster costs j at least min(best, bound) = bound: defer the scan
            return bound, -1
        return self.query(j)

    def merge(self, j: int, k: int, new: int) -> np.ndarray:
        """Replace clusters j and k by ``new`` (in the lower of their positions)."""
        d = self.d
        pa, pb = self.id_pos[j], self.id_pos[k]
        keep, drop = (pa, pb) if pa < pb else (pb, pa)
        wa, wb = self.Wl[pa], self.Wl[pb]
        wn = wa + wb
        A = self.A
        cn = (wa * A[pa] + wb * A[pb]) / wn
        sqn = float(cn @ cn)
        A[keep] = cn
        self.S[:d, keep] = cn
        self.S[d, keep] = sqn
        self.Q[keep, :d] = -2.0 * cn
        self.Q[keep, d + 1] = sqn
        self.sq[keep] = sqn
        self.W[keep] = wn
        self.Wl[keep] = wn
        self.invW[keep] = 1.0 / wn
        self.invW32[keep] = 1.0 / wn
        self.pos_id[keep] = new
        self.id_pos[new] = keep
        self.S[:d, drop] = 0.0
        self.S[d, drop] = np.inf
        self.pos_id[drop] = -1
        self.alive[j] = self.alive[k] = False
        self.alive[new] = True
        self.parent[j] = self.parent[k] = new
        self.n_dead += 1
        return cn

    def run(self, progress: bool) -> WardMerges:
        """Agglomerate until one cluster is left; return the merges in height order."""
        n, d = self.n, self.d
        alive = self.alive
        children = np.empty((n - 1, 2), dtype=np.int64)
        gains = np.empty(n - 1)
        weights = np.empty(n - 1)
        centroids = np.empty((n - 1, d))

        cost0, cached0, valid0, bound0, first0 = _initial_neighbours(self.A, self.W)
        first = first0.tolist() if valid0 else [-1] * n
        self.cache[:n] = cached0.tolist()
        self.bound[:n] = bound0.tolist()
        heap: list[tuple[float, int, int]] = list(
            zip(cost0.tolist(), range(n), first, strict=True)
        )
        heapq.heapify(heap)
        heappop, heappush = heapq.heappop, heapq.heappush

        bar = _Progress(n - 1, progress, "Ward merges")
        t = 0
        try:
            with threadpool_limits(limits=1, user_api="blas"):  # one small product a step
                while t < n - 1:
                    cost, j, k = heappop(heap)
                    if not alive[j]:
                        continue
                    if k < 0:
                        c_cost, c_nn = self.query(j)
                        heappush(heap, (c_cost, j, c_nn))
                        continue
                    if not alive[k]:
                        c_cost, c_nn = self.refresh(j, cost)
                        heappush(heap, (c_cost, j, c_nn))
                        continue
                    new = n + t
                    children[t] = (j, k) if j < k else (k, j)
                    gains[t] = cost
                    weights[t] = self.Wl[self.id_pos[j]] + self.Wl[self.id_pos[k]]
                    centroids[t] = self.merge(j, k, new)
                    t += 1
                    bar.update()
                    if t == n - 1:
                        break
                    if 8 * self.n_dead > self.width and self.width > 64:
                        self.compact()
                    c_cost, c_nn = self.query(new)
                    heappush(heap, (c_cost, new, c_nn))
        finally:
            bar.close()
        centroids += self.centre
        sizes = _leaf_counts(children, n)
        return WardMerges(children, gains, sizes, weights, centroids, np.empty(0))


def _leaf_counts(children: np.ndarray, n: int) -> np.ndarray:
    """Count the leaves under each merge (merges in order, scipy ids)."""
    size = [1] * n + [0] * (n - 1)
    out = np.empty(n - 1, dtype=np.int64)
    for t, (a, b) in enumerate(children.tolist()):
        size[n + t] = size[a] + size[b]
        out[t] = size[n + t]
    return out


def cut_roots(Z: np.ndarray, k: int) -> np.ndarray:
    """Segment (node id) of every node, leaves then merges, at the k cut of linkage ``Z``.

    Nodes above the cut map to themselves. Pointer jumping: O(n log depth), vectorised.
    """
    n = Z.shape[0] + 1
    n_merges = n - k
    parent = np.arange(2 * n - 1)
    children = Z[:n_merges, :2].astype(np.int64)
    made = n + np.arange(n_merges)
    parent[children[:, 0]] = made
    parent[children[:, 1]] = made
    while True:
        up = parent[parent]
        if np.array_equal(up, parent):
            return parent
        parent = up
