"""Drawing code for :mod:`clientseg.rfm`, re-exported by :mod:`clientseg.plotting`.

matplotlib is imported inside the functions (through :func:`new_axes`); each function
draws on one Axes and returns it, never calling ``plt.show``, ``plt.title`` or ``savefig``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.plot_style import (
    ANNOTATION_SIZE,
    PRIMARY_COLOR,
    SECONDARY_COLOR,
    SEQUENTIAL_CMAP,
    new_axes,
)
from clientseg.exceptions import InvalidDataError

__all__ = ["plot_rfm_grid", "plot_rfm_migration", "plot_segment_sizes"]


def _scores_frame(scores: Any, needed: tuple[str, ...], fn: str) -> pd.DataFrame:
    if not isinstance(scores, pd.DataFrame):
        raise InvalidDataError(
            f"{fn}: parameter 'scores' must be the DataFrame returned by "
            f"RFMScorer.transform on a customer table; got {type(scores).__name__}."
        )
    missing = [c for c in needed if c not in scores.columns]
    if missing:
        raise InvalidDataError(
            f"{fn}: parameter 'scores' is missing the column(s) {missing}; columns present: "
            f"{list(scores.columns)[:12]}. Pass RFMScorer(...).transform(table)."
        )
    return scores


def _aligned(values: Any, scores: pd.DataFrame, fn: str) -> np.ndarray:
    """Monetary values aligned on the scores' index (Series) or by position (array)."""
    if isinstance(values, pd.Series):
        aligned = values.reindex(scores.index)
        n_missing = int(aligned.isna().sum())
        if n_missing:
            raise InvalidDataError(
                f"{fn}: parameter 'monetary' lacks {n_missing:,} of the {len(scores):,} "
                f"customers of 'scores' (matched by index). Pass table['monetary'] of the "
                f"same snapshot."
            )
        return aligned.to_numpy(dtype=float)
    arr = np.asarray(values, dtype=float).ravel()
    if arr.shape[0] != len(scores):
        raise InvalidDataError(
            f"{fn}: parameter 'monetary' has {arr.shape[0]:,} values but 'scores' has "
            f"{len(scores):,} rows. Pass one value per customer, in the same order."
        )
    return arr


def plot_rfm_grid(
    scores: pd.DataFrame,
    *,
    monetary: Any = None,
    n_bins: int | None = None,
    ax: Any = None,
    cmap: str = SEQUENTIAL_CMAP,
    annotate: bool = True,
) -> Any:
    """Draw the R×F grid: customers per cell as a heatmap, annotated with mean monetary.

    Parameters
    ----------
    scores : DataFrame
        Output of :meth:`clientseg.RFMScorer.transform` (needs ``r_score`` and
        ``f_score``).
    monetary : Series or array-like, optional
        Monetary value per customer (a Series is matched on the index); each cell is then
        annotated with its mean monetary value below the count.
    n_bins : int, optional
        Size of the grid (default: the largest score seen, at least 5).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    cmap : str, default "Blues"
        Colour map of the counts.
    annotate : bool, default True
        Write the count (and mean monetary) in each cell.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from clientseg.plotting import plot_rfm_grid
    >>> scores = pd.DataFrame({"r_score": [5, 5, 1], "f_score": [4, 4, 1]})
    >>> ax = plot_rfm_grid(scores, monetary=[100.0, 50.0, 5.0])
    >>> ax.get_xlabel()
    'F score (frequency)'
    """
    fn = "plot_rfm_grid"
    _scores_frame(scores, ("r_score", "f_score"), fn)
    r = scores["r_score"].to_numpy(dtype=np.int64)
    f = scores["f_score"].to_numpy(dtype=np.int64)
    n = int(n_bins or max(5, int(r.max(initial=1)), int(f.max(initial=1))))
    cell = (r - 1) * n + (f - 1)
    counts = np.bincount(cell, minlength=n * n).reshape(n, n)
    mean_m = None
    if monetary is not None:
        m = _aligned(monetary, scores, fn)
        sums = np.bincount(cell, weights=m, minlength=n * n).reshape(n, n)
        mean_m = np.divide(sums, counts, out=np.full((n, n), np.nan), where=counts > 0)
    ax = new_axes(ax)
    image = ax.imshow(counts, origin="lower", cmap=cmap, aspect="auto",
                      extent=(0.5, n + 0.5, 0.5, n + 0.5))
    ax.figure.colorbar(image, ax=ax, label="customers")
    ax.set_xticks(range(1, n + 1))
    ax.set_yticks(range(1, n + 1))
    ax.set_xlabel("F score (frequency)")
    ax.set_ylabel("R score (recency)")
    ax.set_title("Customers per R×F cell" + (" (mean monetary value below the count)"
                                               if mean_m is not None else ""))
    if annotate:
        top = counts.max() if counts.size else 0
        for i in range(n):  # cells of the grid (at most 99 x 99), not customers
            for j in range(n):
                text = f"{counts[i, j]:,}"
                if mean_m is not None and counts[i, j]:
                    text += f"\n{mean_m[i, j]:,.0f}"
                colour = "white" if top and counts[i, j] > 0.6 * top else "black"
                ax.text(j + 1, i + 1, text, ha="center", va="center", fontsize=ANNOTATION_SIZE,
                        color=colour)
    return ax


def plot_segment_sizes(
    scores: pd.DataFrame,
    *,
    monetary: Any = None,
    segment_col: str = "segment",
    ax: Any = None,
) -> Any:
    """Draw each segment's share of customers and, with ``monetary``, its share of value.

    Parameters
    ----------
    scores : DataFrame
        Scores with a segment column (output of :meth:`clientseg.RFMScorer.transform`).
    monetary : Series or array-like, optional
        Monetary value per customer (a Series is matched on the index).
    segment_col : str, default "segment"
        The segment column.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from clientseg.plotting import plot_segment_sizes
    >>> scores = pd.DataFrame({"segment": ["Champions", "Lost", "Lost"]})
    >>> ax = plot_segment_sizes(scores, monetary=[300.0, 10.0, 20.0])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Champions', 'Lost']
    """
    fn = "plot_segment_sizes"
    _scores_frame(scores, (segment_col,), fn)
    seg = scores[segment_col]
    if isinstance(seg.dtype, pd.CategoricalDtype):
        cat = seg.cat.remove_unused_categories()
    else:
        cat = pd.Categorical(seg)
        cat = pd.Series(cat, index=seg.index)
    codes = np.asarray(cat.cat.codes, dtype=np.int64)
    names = list(cat.cat.categories)
    k = len(names)
    size_share = np.bincount(codes, minlength=k) / max(len(codes), 1)
    ax = new_axes(ax)
    y = np.arange(k)
    height = 0.4 if monetary is not None else 0.8
    ax.barh(y - (height / 2 if monetary is not None else 0), 100 * size_share, height=height,
            color=PRIMARY_COLOR, label="customers")
    if monetary is not None:
        m = _aligned(monetary, scores, fn)
        total = m.sum()
        value = np.bincount(codes, weights=m, minlength=k)
        value_share = value / total if total else np.zeros(k)
        ax.barh(y + height / 2, 100 * value_share, height=height, color=SECONDARY_COLOR,
                label="monetary value")
        # Beside the bars, not on them: the longest bar may be at any row.
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  borderaxespad=0.0)
    ax.set_yticks(y, [str(nm) for nm in names])
    ax.invert_yaxis()
    ax.set_xlabel("Share (%)")
    ax.set_ylabel("Segment")
    ax.set_title("Share of customers" + (" and of monetary value" if monetary is not None
                                         else "") + " per segment")
    return ax


def plot_rfm_migration(
    migration: Any,
    *,
    normalize: bool = True,
    ax: Any = None,
    cmap: str = SEQUENTIAL_CMAP,
    annotate: bool = True,
) -> Any:
    """Draw the segment migration heatmap between two snapshots.

    Parameters
    ----------
    migration : MigrationResult
        Output of :func:`clientseg.rfm_migration`.
    normalize : bool, default True
        Colour by row rates (share of each t0 segment going to each t1 segment) instead
        of counts.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    cmap : str, default "Blues"
        Colour map.
    annotate : bool, default True
        Write the rate (as %) or count in each non-empty cell.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from clientseg import rfm_migration
    >>> from clientseg.plotting import plot_rfm_migration
    >>> res = rfm_migration(pd.Series(["A", "B"], index=[1, 2]),
    ...                     pd.Series(["B", "B"], index=[1, 3]))
    >>> plot_rfm_migration(res).get_ylabel()
    'Segment at t0'
    """
    counts = getattr(migration, "counts", None)
    if not isinstance(counts, pd.DataFrame):
        raise InvalidDataError(
            f"plot_rfm_migration: parameter 'migration' must be the MigrationResult of "
            f"rfm_migration(scores_t0, scores_t1); got {type(migration).__name__}."
        )
    table = migration.rates if normalize else counts
    values = table.to_numpy(dtype=float)
    ax = new_axes(ax, figsize=(7.5, 6.0))
    image = ax.imshow(values, cmap=cmap, aspect="auto")
    ax.figure.colorbar(image, ax=ax, label="share of the t0 row" if normalize else "customers")
    ax.set_xticks(range(values.shape[1]), [str(c) for c in table.columns], rotation=45,
                  ha="right")
    ax.set_yticks(range(values.shape[0]), [str(i) for i in table.index])
    ax.set_xlabel("Segment at t1")
    ax.set_ylabel("Segment at t0")
    ax.set_title("Segment migration from t0 to t1" + (" (share of each t0 row)" if normalize
                                                       else " (customers)"))
    if annotate:
        top = np.nanmax(values) if values.size else 0.0
        for i in range(values.shape[0]):  # segments x segments, not customers
            for j in range(values.shape[1]):
                v = values[i, j]
                if not np.isfinite(v) or v == 0:
                    continue  # empty cells stay blank, so the moves stand out
                text = f"{100 * v:.0f}%" if normalize else f"{int(v):,}"
                colour = "white" if top and v > 0.6 * top else "black"
                ax.text(j, i, text, ha="center", va="center", fontsize=ANNOTATION_SIZE,
                        color=colour)
    return ax
