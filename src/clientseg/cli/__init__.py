"""The ``clientseg`` command.

``clientseg demo`` runs the library's main job on a built-in synthetic base and writes its
results to a folder; ``clientseg rfm``, ``segment``, ``score`` and ``quality`` do each step
on the user's CSV or Parquet files (handlers in ``_cli_files.py``); ``clientseg bench``
runs the benchmark suites (``_cli_bench.py``); ``clientseg --help`` lists the commands.
Errors in what you pass are reported in one line naming the flag or column, with exit
status 2 and no traceback.
"""

from clientseg.cli._main import (
    main,
)

__all__ = [
    "main",
]
