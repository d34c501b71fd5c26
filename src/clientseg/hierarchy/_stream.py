"""Streaming two-stage segmentation (private; public through ``HierarchicalSegmenter``).

:meth:`HierarchicalSegmenter.fit_stream` builds the two-stage Ward tree of a base that
does not fit in memory, reading it chunk by chunk (an iterable of frames or arrays, a
callable that returns one, or a Dask DataFrame / Array read partition by partition). Only
the micro-cluster centroids, their masses and their within-inertia reach the tree.

The data are read twice:

1. **Sample pass.** A uniform reservoir sample of ``sample_size`` rows is kept (each row
   gets a uniform key drawn in stream order; the rows with the smallest keys are kept, so
   the sample does not depend on how the rows are cut into chunks). With an ``encoder``,
   its statistics are learned on the same pass: running means and variances of the numeric
   criteria, counts of every categorical level and, for the FAMD components, the
   cross-products of the raw design, from which the encoder's fitted state is rebuilt as
   if it had seen every row at once.
2. **Assignment pass.** k-means, fitted on the (encoded) sample exactly as the in-memory
   two-stage fit does on its sample, gives the micro-cluster centres; every row is
   assigned to its nearest centre and the sums of each micro-cluster (count, sum of
   ``x − centre``, sum of ``||x − centre||²``) are accumulated. The micro-clusters'
   centroids (their rows' means), masses and within-inertia are then exact, as in memory.

The weighted Ward tree of the micro-clusters is cut as in :meth:`fit`; the cut criteria
that need rows (Davies–Bouldin, silhouette, gap statistic, segment shares) read the sample.
Consolidation runs k-means on the micro-cluster centroids weighted by their masses, so a
micro-cluster moves as a whole and the reported inertia stays exact.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from clientseg._core.validation import check_scalar
from clientseg.exceptions import (
    DataQualityWarning,
    EmptyDataError,
    InvalidDataError,
    InvalidParameterError,
)
from clientseg.hierarchy._encoding import MixedDataEncoder
from clientseg.hierarchy._tree import _build_tree

__all__: list[str] = []  # private module

#: Stack depth from the warnings of the encoder statistics to the caller of fit_stream.
_WARN_DEPTH = 4

#: Attributes only a streamed fit sets; ``fit`` removes them so none is left stale.
STREAM_ATTRIBUTES = ("micro_centers_", "micro_segments_", "encoder_", "n_rows_", "n_chunks_",
                     "sample_", "sample_index_", "sample_positions_")


def forget_stream(segmenter: Any) -> None:
    """Remove the attributes of an earlier streamed fit (called by ``fit``)."""
    for name in STREAM_ATTRIBUTES:
        segmenter.__dict__.pop(name, None)


# --------------------------------------------------------------------------------------
# Chunk sources
# --------------------------------------------------------------------------------------


def _is_dask_frame(obj: Any) -> bool:
    return hasattr(obj, "npartitions") and hasattr(obj, "partitions")


def _is_dask_array(obj: Any) -> bool:
    return hasattr(obj, "blocks") and hasattr(obj, "numblocks") and hasattr(obj, "compute")


def check_source(chunks: Any, *, passes: int) -> Callable[[], Iterator[Any]]:
    """Return a function that starts a new pass over the chunks; refuse one-shot sources."""
    if isinstance(chunks, pd.DataFrame | np.ndarray | pd.Series):
        raise InvalidParameterError(
            f"Parameter 'chunks' is a single {type(chunks).__name__} of {len(chunks):,} rows, "
            f"not an iterable of chunks. Pass [X] to stream it as one chunk, or call fit(X) "
            f"for data that fit in memory."
        )
    if _is_dask_array(chunks):  # before frames: Dask arrays have partitions too
        def dask_array() -> Iterator[Any]:
            for i in range(chunks.numblocks[0]):
                yield chunks.blocks[i].compute()
        return dask_array
    if _is_dask_frame(chunks):
        def dask_frame() -> Iterator[Any]:
            for i in range(chunks.npartitions):
                yield chunks.partitions[i].compute()
        return dask_frame
    if callable(chunks):
        def called() -> Iterator[Any]:
            return iter(chunks())
        return called
    try:
        first = iter(chunks)
    except TypeError:
        raise InvalidParameterError(
            f"Parameter 'chunks' must be an iterable of DataFrames or arrays, a callable "
            f"returning one, or a Dask DataFrame/Array; got {type(chunks).__name__}."
        ) from None
    if first is chunks and passes > 1:
        raise InvalidParameterError(
            f"Parameter 'chunks' is a one-shot iterator ({type(chunks).__name__}), but the "
            f"data are read {passes} times. Pass a list of chunks, a Dask DataFrame, or a "
            f"callable that returns a new iterator each time (e.g. lambda: read_chunks())."
        )
    return lambda: iter(chunks)


def _native(chunk: Any) -> Any:
    """Return pandas and numpy chunks as they are, Polars / PyArrow chunks as pandas."""
    if isinstance(chunk, pd.DataFrame | np.ndarray):
        return chunk
    if hasattr(chunk, "collect") and not hasattr(chunk, "to_pandas"):  # Polars LazyFrame
        chunk = chunk.collect()
    if hasattr(chunk, "to_pandas"):
        return chunk.to_pandas()
    return chunk


# --------------------------------------------------------------------------------------
# Reservoir sample
# --------------------------------------------------------------------------------------


class _Reservoir:
    """Keep the ``size`` rows with the smallest uniform keys (a uniform sample)."""

    def __init__(self, size: int, rng: np.random.RandomState) -> None:
        self.size = size
        self.rng = rng
        self.keys = np.empty(0)
        self.positions = np.empty(0, dtype=np.int64)
        self.rows: Any = None

    def add(self, chunk: Any, offset: int) -> None:
        m = len(chunk)
        keys = self.rng.random_sample(m)  # one key per row, in stream order
        if self.keys.size == self.size:
            take = np.flatnonzero(keys < self.keys.max())
        else:
            take = np.arange(m)
        if take.size > self.size:
            take = take[np.argpartition(keys[take], self.size - 1)[: self.size]]
        if take.size == 0:
            return
        new = chunk.iloc[take] if isinstance(chunk, pd.DataFrame) else chunk[take]
        if self.rows is None:
            rows = new
        elif isinstance(new, pd.DataFrame):
            rows = pd.concat([self.rows, new])
        else:
            rows = np.concatenate([self.rows, new])
        all_keys = np.concatenate([self.keys, keys[take]])
        positions = np.concatenate([self.positions, offset + take])
        if all_keys.size > self.size:
            keep = np.argpartition(all_keys, self.size - 1)[: self.size]
            rows = rows.iloc[keep] if isinstance(rows, pd.DataFrame) else rows[keep]
            all_keys, positions = all_keys[keep], positions[keep]
        self.rows, self.keys, self.positions = rows, all_keys, positions

    def result(self) -> tuple[Any, np.ndarray]:
        """Return the sampled rows in stream order and their positions in the stream."""
        order = np.argsort(self.positions)
        rows = self.rows.iloc[order] if isinstance(self.rows, pd.DataFrame) else self.rows[order]
        return rows, self.positions[order]


# --------------------------------------------------------------------------------------
# Streaming statistics of a MixedDataEncoder
# --------------------------------------------------------------------------------------


class _EncoderStats:
    """Learn a :class:`MixedDataEncoder`'s fitted state from chunks, one pass, O(p²) memory.

    Numeric columns: count, mean and sum of squared deviations, merged chunk by chunk with
    Chan et al.'s formula. Categorical columns: the count of every level. With
    ``n_components``: the cross-product matrix of the raw design (numeric columns shifted by
    the first chunk's means, one indicator per level), whose centred version gives the
    FAMD Gram matrix without a second pass.
    """

    def __init__(self, encoder: MixedDataEncoder, first: pd.DataFrame) -> None:
        if encoder.n_components is not None:
            check_scalar("n_components", encoder.n_components, kind=int, low=1)
        if encoder.handle_unknown not in ("ignore", "error"):
            raise InvalidParameterError(
                f"Parameter 'handle_unknown' must be one of 'ignore', 'error'; got "
                f"{encoder.handle_unknown!r}."
            )
        self.enc = encoder
        frame = encoder._frame(first, reset=True)
        self.num, self.cat = encoder._roles(frame)
        self.n = 0
        self.mean = np.zeros(len(self.num))
        self.m2 = np.zeros(len(self.num))
        self.counts: dict[Any, dict[str, int]] = {c: {} for c in self.cat}
        self.pca = encoder.n_components is not None
        # design columns: numeric ones, then (column, level) in order of discovery
        self.design: list[tuple[Any, str | None]] = [(c, None) for c in self.num]
        self.where: dict[tuple[Any, str | None], int] = {k: i for i, k in enumerate(self.design)}
        self.shift: np.ndarray | None = None
        self.gram = np.zeros((len(self.num), len(self.num)))
        self.sums = np.zeros(len(self.num))

    def add(self, chunk: pd.DataFrame) -> None:
        frame = self.enc._frame(chunk, reset=False)
        m = len(frame)
        if m == 0:
            return
        values = self.enc._numeric(frame, self.num, min_samples=1)
        if self.num:
            c_mean = values.mean(axis=0)
            c_m2 = ((values - c_mean) ** 2).sum(axis=0)
            total = self.n + m
            delta = c_mean - self.mean
            self.mean = self.mean + delta * (m / total)
            self.m2 = self.m2 + c_m2 + delta**2 * (self.n * m / total)
        codes_of: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
        for col in self.cat:
            names, codes = self.enc._codes(frame[col], col)
            counts = np.bincount(codes, minlength=names.size)
            known = self.counts[col]
            for name, count in zip(names, counts, strict=True):  # a loop over levels
                if count:
                    known[str(name)] = known.get(str(name), 0) + int(count)
            codes_of[col] = (names, codes)
        self.n += m
        if self.pca:
            self._add_design(values, codes_of, m)

    def _add_design(self, values: np.ndarray, codes_of: dict[Any, Any], m: int) -> None:
        if self.shift is None:
            self.shift = values.mean(axis=0) if self.num else np.zeros(0)
        for col in self.cat:  # new levels get new design columns (zero so far: exact)
            names, _ = codes_of[col]
            for name in names:
                key = (col, str(name))
                if key not in self.where:
                    self.where[key] = len(self.design)
                    self.design.append(key)
        width = len(self.design)
        if width > self.sums.size:
            grow = width - self.sums.size
            self.gram = np.pad(self.gram, ((0, grow), (0, grow)))
            self.sums = np.pad(self.sums, (0, grow))
        R = np.zeros((m, width))
        R[:, : len(self.num)] = values - self.shift
        rows = np.arange(m)
        for col in self.cat:
            names, codes = codes_of[col]
            cols = np.array([self.where[(col, str(name))] for name in names], dtype=np.int64)
            R[rows, cols[codes]] = 1.0
        self.gram += R.T @ R
        self.sums += R.sum(axis=0)

    def finish(self) -> MixedDataEncoder:
        """Set the encoder's fitted attributes as ``MixedDataEncoder.fit`` would."""
        enc, n = self.enc, self.n
        if n < 2:
            raise InvalidDataError(
                f"Parameter 'chunks' holds {n} row(s); at least 2 are needed to learn the "
                f"encoder's scales and level shares."
            )
        scales = np.sqrt(self.m2 / n)
        constant = scales <= 1e-12 * np.maximum(np.abs(self.mean), 1.0)
        if constant.any():
            names = [self.num[i] for i in np.flatnonzero(constant)]
            warnings.warn(
                f"{len(names)} numeric column(s) are constant and carry no information: "
                f"{names}. They are left out of the encoding; drop them to silence this.",
                DataQualityWarning,
                stacklevel=_WARN_DEPTH,
            )
        enc.numeric_columns_ = [c for c, k in zip(self.num, constant, strict=True) if not k]
        enc.means_ = self.mean[~constant]
        enc.scales_ = scales[~constant]
        enc.levels_ = {}
        enc.proportions_ = {}
        single = []
        for col in self.cat:
            found = np.array(sorted(self.counts[col]), dtype=object)
            counts = np.array([self.counts[col][s] for s in found], dtype=float)
            if found.size < 2:
                single.append(col)
                continue
            enc.levels_[col] = found
            enc.proportions_[col] = counts / counts.sum()
        if single:
            warnings.warn(
                f"{len(single)} categorical column(s) have a single level and carry no "
                f"information: {single}. They are left out of the encoding; drop them to "
                f"silence this.",
                DataQualityWarning,
                stacklevel=_WARN_DEPTH,
            )
        enc.categorical_columns_ = [c for c in self.cat if c in enc.levels_]
        width = len(enc.numeric_columns_) + sum(v.size for v in enc.levels_.values())
        if width == 0:
            raise InvalidDataError(
                f"Every one of the {len(self.num) + len(self.cat)} column(s) of the chunks "
                f"is constant: nothing is left to encode. Pass criteria that vary between "
                f"customers."
            )
        if self.pca:
            self._components(enc, n, width)
        return enc

    def _components(self, enc: MixedDataEncoder, n: int, width: int) -> None:
        # columns of the encoding, in the encoder's order, as indices of the design
        idx = [self.where[(c, None)] for c in enc.numeric_columns_]
        scale = list(1.0 / enc.scales_)
        for col in enc.categorical_columns_:
            idx += [self.where[(col, str(level))] for level in enc.levels_[col]]
            scale += list(1.0 / np.sqrt(enc.proportions_[col]))
        sel = np.array(idx, dtype=np.int64)
        mean = self.sums[sel] / n
        cov = self.gram[np.ix_(sel, sel)] / n - np.outer(mean, mean)
        d = np.array(scale)
        gram = n * cov * d[:, None] * d[None, :]  # Z'Z of the centred, scaled encoding
        eigval, eigvec = np.linalg.eigh((gram + gram.T) / 2.0)
        order = np.argsort(eigval)[::-1]
        eigval, eigvec = np.clip(eigval[order], 0.0, None), eigvec[:, order]
        signs = np.sign(eigvec[np.abs(eigvec).argmax(axis=0), np.arange(eigvec.shape[1])])
        eigvec = eigvec * np.where(signs == 0, 1.0, signs)
        assert enc.n_components is not None  # for mypy: pca implies n_components
        n_comp = min(enc.n_components, width)
        enc.components_ = eigvec[:, :n_comp].T
        enc.explained_inertia_ = eigval / n


# --------------------------------------------------------------------------------------
# The two passes
# --------------------------------------------------------------------------------------


class _Encoded:
    """Turn a chunk into the float matrix the tree works on (encoded or validated)."""

    def __init__(self, segmenter: Any, encoder: MixedDataEncoder | None) -> None:
        self.segmenter = segmenter
        self.encoder = encoder

    def __call__(self, chunk: Any, number: int, *, reset: bool = False) -> np.ndarray:
        if self.encoder is not None:
            return np.asarray(self.encoder.transform(chunk), dtype=np.float64)
        try:
            return validate_data(self.segmenter, chunk, dtype=np.float64, reset=reset,
                                 ensure_min_samples=1)
        except ValueError as exc:
            raise InvalidDataError(
                f"Chunk {number} of 'chunks': {exc} Chunks must be numeric rows with the "
                f"columns of the first chunk; pass encoder=MixedDataEncoder() to encode raw "
                f"criteria."
            ) from exc


def _kmeans_on_sample(S: np.ndarray, n_micro: int, rng: np.random.RandomState) -> np.ndarray:
    """k-means centres of the sample, seeded and run as the in-memory two-stage fit."""
    n_micro = min(n_micro, S.shape[0])
    init = S[rng.choice(S.shape[0], size=n_micro, replace=False)]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Number of distinct clusters")
        km = KMeans(n_clusters=n_micro, init=init, n_init=1, max_iter=50, tol=1e-4)
        km.fit(S)
    return np.asarray(km.cluster_centers_, dtype=np.float64)


def _nearest(X: np.ndarray, centres: np.ndarray, sq_centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre of every row, in blocks (BLAS, O(block·k) memory)."""
    out = np.empty(X.shape[0], dtype=np.int64)
    block = max(1, 2**23 // max(centres.shape[0], 1))
    for start in range(0, X.shape[0], block):
        part = X[start : start + block]
        d = sq_centres[None, :] - 2.0 * (part @ centres.T)
        out[start : start + block] = d.argmin(axis=1)
    return out


class _Accumulator:
    """Per micro-cluster: count, Σ(x − centre), Σ||x − centre||² (stable sums)."""

    def __init__(self, centres: np.ndarray) -> None:
        self.centres = centres
        self.sq = np.einsum("ij,ij->i", centres, centres)
        m, d = centres.shape
        self.count = np.zeros(m, dtype=np.int64)
        self.sums = np.zeros((m, d))
        self.sq_sums = np.zeros(m)

    def add(self, X: np.ndarray) -> None:
        m = self.centres.shape[0]
        lab = _nearest(X, self.centres, self.sq)
        diff = X - self.centres[lab]
        self.count += np.bincount(lab, minlength=m)
        for col in range(X.shape[1]):  # one O(n) bincount per feature
            self.sums[:, col] += np.bincount(lab, weights=diff[:, col], minlength=m)
        self.sq_sums += np.bincount(lab, weights=np.einsum("ij,ij->i", diff, diff),
                                    minlength=m)


def fit_stream(
    segmenter: Any, chunks: Any, *, encoder: Any, sample_size: int | None
) -> Any:
    """Run ``HierarchicalSegmenter.fit_stream`` (see its docstring)."""
    segmenter._check_params()
    if segmenter.strategy == "exact":
        raise InvalidParameterError(
            "Parameter 'strategy' is 'exact', which needs every row in memory; fit_stream "
            "always builds the two-stage tree. Pass strategy='two_stage' (or 'auto'), or "
            "call fit(X) on data that fit in memory."
        )
    if encoder is not None and not isinstance(encoder, MixedDataEncoder):
        raise InvalidParameterError(
            f"Parameter 'encoder' must be a MixedDataEncoder (its parameters are used, its "
            f"statistics learned from the chunks) or None; got {type(encoder).__name__}."
        )
    n_micro = int(segmenter.n_micro)
    if sample_size is None:
        sample_size = max(30 * n_micro, 20_000)
    check_scalar("sample_size", sample_size, kind=int, low=n_micro)
    source = check_source(chunks, passes=2)
    rng = check_random_state(segmenter.random_state)
    enc = None if encoder is None else clone(encoder)
    encode = _Encoded(segmenter, enc)

    # ---- pass 1: reservoir sample (+ the encoder's statistics) ---------------------
    reservoir = _Reservoir(int(sample_size), rng)
    stats: _EncoderStats | None = None
    n_rows = n_chunks = 0
    for number, raw in enumerate(source()):
        chunk = _native(raw)
        n_chunks += 1
        if len(chunk) == 0:  # an empty partition: nothing to learn
            continue
        if enc is not None:
            if not isinstance(chunk, pd.DataFrame):
                chunk = pd.DataFrame(chunk)
            if stats is None:
                stats = _EncoderStats(enc, chunk)
            stats.add(chunk)
            rows = chunk
        else:
            rows = encode(chunk, number, reset=n_rows == 0)
        reservoir.add(rows, n_rows)
        n_rows += len(rows)
    if n_rows < 2:
        raise EmptyDataError(
            f"Parameter 'chunks' yielded {n_rows} row(s) in {n_chunks} chunk(s); at least 2 "
            f"are needed to build a tree. Check that the chunks are not empty."
        )
    if stats is not None:
        stats.finish()
        segmenter.n_features_in_ = len(enc.get_feature_names_out())  # type: ignore[union-attr]
        if hasattr(segmenter, "feature_names_in_"):
            del segmenter.feature_names_in_
    sample_rows, sample_pos = reservoir.result()
    S = sample_rows if enc is None else encode(sample_rows, 0)
    centres = _kmeans_on_sample(S, n_micro, rng)

    # ---- pass 2: every row to its nearest centre; exact micro-cluster statistics ------
    acc = _Accumulator(centres)
    n_second = 0
    for number, raw in enumerate(source()):
        chunk = _native(raw)
        if len(chunk) == 0:
            continue
        X = encode(chunk, number)
        acc.add(X)
        n_second += X.shape[0]
    if n_second != n_rows:
        raise InvalidDataError(
            f"Parameter 'chunks' yielded {n_rows:,} rows on the first pass and {n_second:,} "
            f"on the second. fit_stream reads the data twice: the chunks must be the same "
            f"each time (a list, a Dask frame, or a callable that re-reads the same files)."
        )
    used = acc.count > 0
    mass = acc.count[used].astype(np.float64)
    shift = acc.sums[used] / mass[:, None]
    leaf_centroids = centres[used] + shift
    within_each = acc.sq_sums[used] - mass * np.einsum("ij,ij->i", shift, shift)
    leaf_inertia = float(np.maximum(within_each, 0.0).sum())
    grand = (mass @ leaf_centroids) / mass.sum()
    gap = leaf_centroids - grand
    total = leaf_inertia + float(mass @ np.einsum("ij,ij->i", gap, gap))
    micro_centres = centres[used]
    auto = segmenter.n_segments == "auto"
    k = 1 if auto else int(segmenter.n_segments)
    if k > n_rows:
        raise InvalidParameterError(
            f"Parameter 'n_segments' is {k} but the chunks hold only {n_rows:,} rows. "
            f"Pass n_segments <= {n_rows:,}."
        )
    if mass.size < max(k, 2):
        raise InvalidParameterError(
            f"Only {mass.size:,} non-empty micro-cluster(s) were found, fewer than "
            f"max(n_segments, 2) = {max(k, 2)}. Pass a larger n_micro or fewer segments "
            f"(or check that the rows are not all identical)."
        )
    tree = _build_tree(leaf_centroids, mass, leaf_inertia=leaf_inertia, total_inertia=total,
                       progress=segmenter.progress)
    sample_micro = _nearest(S, micro_centres, np.einsum("ij,ij->i", micro_centres,
                                                        micro_centres))
    cut = None
    if auto:
        cut = segmenter._auto_cut(tree, sample_micro, S)
        k = cut.k
    micro_segments = tree.labels(k)
    centers = tree.centroids(k)
    inertia = tree.within_inertia(k)
    consolidation = None
    if segmenter.consolidate and k > 1:
        km = KMeans(n_clusters=k, init=centers, n_init=1, random_state=0)
        km.fit(leaf_centroids, sample_weight=mass)
        new = km.labels_.astype(np.int64)
        consolidation = {
            "between_before": float(total - inertia),
            "between_after": float(total - leaf_inertia - km.inertia_),
            "n_iter": int(km.n_iter_),
            "n_moved": int(mass[new != micro_segments].sum()),
        }
        micro_segments, centers = new, np.asarray(km.cluster_centers_)
        inertia = leaf_inertia + float(km.inertia_)

    segmenter.tree_ = tree
    segmenter.linkage_ = np.array(tree.linkage)
    segmenter.n_segments_ = int(k)
    segmenter.cut_ = cut
    segmenter.cluster_centers_ = centers
    segmenter.inertia_ = float(inertia)
    segmenter.strategy_ = "two_stage"
    segmenter.consolidation_ = consolidation
    segmenter.micro_centers_ = micro_centres
    segmenter.micro_segments_ = micro_segments
    segmenter.encoder_ = enc
    segmenter.n_rows_ = int(n_rows)
    segmenter.n_chunks_ = int(n_chunks)
    segmenter.sample_ = S
    segmenter.sample_index_ = (sample_rows.index if isinstance(sample_rows, pd.DataFrame)
                               else pd.RangeIndex(n_rows)[sample_pos])
    segmenter.sample_positions_ = sample_pos
    segmenter.micro_labels_ = sample_micro
    segmenter.labels_ = micro_segments[sample_micro]
    return segmenter


def labels_stream(segmenter: Any, chunks: Any) -> Iterator[np.ndarray]:
    """Run ``HierarchicalSegmenter.labels_stream`` (see its docstring)."""
    check_is_fitted(segmenter)
    if not hasattr(segmenter, "micro_centers_"):
        raise InvalidParameterError(
            "labels_stream needs a segmenter fitted with fit_stream (it assigns rows to the "
            "streamed micro-clusters). After fit(X), read labels_ or call predict(X)."
        )
    source = check_source(chunks, passes=1)
    encode = _Encoded(segmenter, segmenter.encoder_)
    centres = segmenter.micro_centers_
    sq = np.einsum("ij,ij->i", centres, centres)
    return _labels(source, encode, centres, sq, segmenter.micro_segments_)


def _labels(source: Callable[[], Iterator[Any]], encode: _Encoded, centres: np.ndarray,
            sq: np.ndarray, segments: np.ndarray) -> Iterator[np.ndarray]:
    for number, raw in enumerate(source()):
        chunk = _native(raw)
        if len(chunk) == 0:
            yield np.empty(0, dtype=np.int64)
        else:
            yield segments[_nearest(encode(chunk, number), centres, sq)]


class StreamingMixin:
    """``fit_stream`` and ``labels_stream`` of :class:`HierarchicalSegmenter`."""

    def fit_stream(
        self, chunks: Any, *, encoder: Any = None, sample_size: int | None = None
    ) -> Any:
        """Build the two-stage tree of a base read chunk by chunk, and cut it.

        For bases beyond memory: the data are read twice, one chunk at a time, and only
        the micro-clusters (``n_micro`` centroids with their masses and within-inertia)
        reach the tree. Pass 1 keeps a uniform reservoir sample of ``sample_size`` rows
        (and learns ``encoder``'s statistics); k-means on the sample gives the
        micro-cluster centres, as in :meth:`fit`; pass 2 assigns every row to its nearest
        centre and sums each micro-cluster's rows, so their centroids, masses and
        within-inertia are exact. The tree is then cut at ``n_segments`` or, with
        ``"auto"``, where :func:`clientseg.select_cut` says: the inertia criteria read
        the tree (all rows), the others (silhouette, Davies–Bouldin, gap statistic,
        segment shares) the sample. ``consolidate=True`` runs k-means on the
        micro-cluster centroids weighted by their masses (a micro-cluster moves whole).

        Parameters
        ----------
        chunks : iterable, callable or Dask collection
            The rows, in chunks: a list (or any re-iterable) of DataFrames or arrays, a
            callable returning a new iterator of them at each call (e.g. one that reads
            Parquet files one by one), or a Dask DataFrame / Array read partition by
            partition. A one-shot iterator (a generator) is refused: the data are read
            twice. Polars (eager or lazy) and PyArrow chunks are converted to pandas one
            at a time.
        encoder : MixedDataEncoder, optional
            Learn this encoder's statistics from the chunks (means and variances of
            numeric criteria, shares of categorical levels, FAMD components), as its
            ``fit`` would on all the rows at once, and encode every chunk with it. The
            fitted copy is kept in :attr:`encoder_`. Without it, chunks must be numeric
            and already encoded.
        sample_size : int, optional
            Rows of the reservoir sample: k-means of the micro-clusters and the cut
            criteria that need rows run on it. Default ``max(30 * n_micro, 20_000)``,
            the sample the in-memory two-stage fit uses; at least ``n_micro``.

        Returns
        -------
        self

        Notes
        -----
        After ``fit_stream``, :attr:`labels_` and :attr:`micro_labels_` hold the segment
        and micro-cluster of the sample rows only (:attr:`sample_`, whose places in the
        stream are :attr:`sample_index_`), so ``select_cut(segmenter, segmenter.sample_)``
        works; the labels of every row come from :meth:`labels_stream` (or
        :meth:`predict` for the nearest centre). With a fixed ``random_state`` the fit
        does not depend on how the rows are cut into chunks, only on their order.
        ``sample_weight`` is not supported.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import make_blobs
        >>> from clientseg import HierarchicalSegmenter
        >>> X, y = make_blobs(30_000, centers=3, random_state=0)
        >>> chunks = np.array_split(X, 6)
        >>> seg = HierarchicalSegmenter(3, n_micro=100, random_state=0).fit_stream(chunks)
        >>> int(seg.tree_.leaf_weights.sum()), seg.n_rows_
        (30000, 30000)
        >>> labels = np.concatenate(list(seg.labels_stream(chunks)))
        >>> np.bincount(labels).sum()
        np.int64(30000)
        """
        return fit_stream(self, chunks, encoder=encoder, sample_size=sample_size)

    def labels_stream(self, chunks: Any) -> Iterator[np.ndarray]:
        """Yield the segment of every row, chunk by chunk, as a streamed fit assigns them.

        Each row goes to its nearest micro-cluster centre (:attr:`micro_centers_`), then
        to that micro-cluster's segment (:attr:`micro_segments_`): the labels whose
        within-inertia is :attr:`inertia_`. :meth:`predict` instead gives the nearest
        segment centre; the two differ only for rows near a border.

        Parameters
        ----------
        chunks : iterable, callable or Dask collection
            Rows in the form given to :meth:`fit_stream` (raw criteria when it was given
            an ``encoder``); a generator is fine, it is read once.

        Yields
        ------
        ndarray of shape (n_rows_in_chunk,)
            int64 segment numbers of one chunk's rows.
        """
        return labels_stream(self, chunks)
