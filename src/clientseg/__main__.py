"""Allow ``python -m clientseg`` as a synonym of the ``clientseg`` command."""

from clientseg.cli import main

raise SystemExit(main())
