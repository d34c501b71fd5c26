"""Helpers shared by the private drawing modules (``_plotting_<concept>.py``).

Importing this module does not import matplotlib: each helper imports it when called.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []

#: Colours used for segments everywhere (colour-blind safe, 12 distinct; cycles beyond).
SEGMENT_COLORS = (
    "#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377",
    "#BBBBBB", "#000000", "#EE7733", "#0077BB", "#33BBEE", "#009988",
)


def new_axes(ax: Any = None, *, figsize: tuple[float, float] = (6.4, 4.8)) -> Any:
    """Return ``ax`` or, when it is None, the Axes of a new figure (pyplot imported here)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax
