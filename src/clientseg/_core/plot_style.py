"""Helpers and the shared style of the private drawing modules (``_plotting_<concept>.py``).

One home for every colour and colour map, so a segment has the same colour in every plot
and each module reads the same: segment colours are only ever used for segments; series
that are not segments (customers vs value, converted vs not, chosen k) use the named
colours below; reference lines are grey; the cut of a tree is a black dashed line.

Importing this module does not import matplotlib: each helper imports it when called.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__: list[str] = []

#: Colours of segments everywhere (Paul Tol's bright and muted schemes, colour-blind safe,
#: 12 distinct, none grey or black so they never read as "no segment"; cycles beyond 12).
SEGMENT_COLORS = (
    "#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377",
    "#EE7733", "#332288", "#44AA99", "#882255", "#999933", "#FFAABB",
)
#: A single series that is not a segment (weights, lift, gains, customers' share).
PRIMARY_COLOR = "#3A5F7D"
#: A second series beside :data:`PRIMARY_COLOR` (value share, converted contacts).
SECONDARY_COLOR = "#E0A030"
#: What the reader must spot: the chosen k, a failed check.
HIGHLIGHT_COLOR = "#CC3311"
#: Reference lines (diagonal, base average, lift 1) and links above a tree's cut.
NEUTRAL_COLOR = "#777777"
#: The cut of a tree and the chosen k, in every plot that shows one.
CUT_LINE = {"color": "black", "linestyle": "--", "linewidth": 1.3}
#: Colours of things that are neither segments nor series (the cut criteria): tab10.
CATEGORY_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
#: Colour map of counts and shares (R×F grid, migration).
SEQUENTIAL_CMAP = "Blues"
#: Colour map of signed values around 0 (v-tests).
DIVERGING_CMAP = "RdBu_r"
#: Font size of the numbers written inside cells and bubbles.
ANNOTATION_SIZE = 8


def segment_color(label: Any, position: int) -> str:
    """Return the colour of one segment: by its number for integer labels, else by position.

    Integer labels (``HierarchicalSegmenter.labels_``, numbered 0..k-1) keep their colour
    whatever subset or order a plot shows; other labels (names) are coloured by their
    position in the order the caller shows them.
    """
    number = _as_int(label)
    index = position if number is None else number
    return SEGMENT_COLORS[index % len(SEGMENT_COLORS)]


def segment_colors(labels: Iterable[Any]) -> list[str]:
    """Return the colours of the segments ``labels``, in that order.

    All labels non-negative integers: each by its number; otherwise (names, or a mix) all
    by position, so two names never share a colour by accident.
    """
    labels = list(labels)
    numbers_ = [_as_int(lb) for lb in labels]
    if all(v is not None for v in numbers_):
        return [segment_color(v, i) for i, v in enumerate(numbers_)]
    return [segment_color(None, i) for i in range(len(labels))]


def _as_int(label: Any) -> int | None:
    """Return the label as a non-negative int when it is one (numpy ints too; '3' is not)."""
    if isinstance(label, numbers.Integral) and not isinstance(label, bool | np.bool_):
        value = int(label)
        return value if value >= 0 else None
    return None


def thousands(ax_axis: Any) -> None:
    """Format an axis' ticks in one unit chosen from its range: 9,500; 12k; 4.2M."""
    from matplotlib.ticker import FuncFormatter

    def fmt(x: float, _pos: Any) -> str:
        top = max(abs(v) for v in ax_axis.get_view_interval())
        if top >= 2e6:
            return f"{x / 1e6:,.4g}M"
        if top >= 2e4:
            return f"{x / 1e3:,.4g}k"
        return f"{x:,.10g}"

    ax_axis.set_major_formatter(FuncFormatter(fmt))


def percent(ax_axis: Any, *, xmax: float = 1.0) -> None:
    """Show an axis that holds shares in [0, ``xmax``] as percentages."""
    from matplotlib.ticker import PercentFormatter

    ax_axis.set_major_formatter(PercentFormatter(xmax=xmax, decimals=None))


def new_axes(ax: Any = None, *, figsize: tuple[float, float] = (6.4, 4.8)) -> Any:
    """Return ``ax`` or, when it is None, the Axes of a new figure (pyplot imported here)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax
