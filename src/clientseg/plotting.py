"""Every ``plot_*`` function of clientseg (the only public module that draws).

Conventions (STYLE.md): ``plot_<thing>(data_or_result, *, ax=None, **kwargs) -> Axes``;
with ``ax=None`` a new figure is made; only ``ax`` and ``ax.figure`` are touched; never
``plt.show``, ``plt.title`` or ``savefig``. matplotlib is imported inside the functions, so
importing this module does not import pyplot. Large inputs are truncated, never refused.

The drawing code of each concept lives in a private module ``_plotting_<concept>.py``
re-exported here, so the public import path is always ``clientseg.plotting``.
"""

from __future__ import annotations

from clientseg.campaign._plotting import plot_campaign
from clientseg.hierarchy._plotting import plot_dendrogram

# Each concept's drawing code is re-exported below, one import line per private module.
from clientseg.hierarchy.cut._plotting import plot_cut_criteria, plot_inertia_gains
from clientseg.quality._plotting import (
    plot_segment_map,
    plot_segment_profile,
    plot_segment_stability,
)
from clientseg.rfm._plotting import plot_rfm_grid, plot_rfm_migration, plot_segment_sizes
from clientseg.scorecard._plotting import (
    plot_calibration,
    plot_gains,
    plot_lift,
    plot_score_distribution,
    plot_scorecard_points,
    plot_scorecard_weights,
)

__all__: list[str] = [
    "plot_calibration",
    "plot_campaign",
    "plot_cut_criteria",
    "plot_dendrogram",
    "plot_gains",
    "plot_inertia_gains",
    "plot_lift",
    "plot_rfm_grid",
    "plot_rfm_migration",
    "plot_score_distribution",
    "plot_scorecard_points",
    "plot_scorecard_weights",
    "plot_segment_map",
    "plot_segment_profile",
    "plot_segment_sizes",
    "plot_segment_stability",
]
