"""Allow ``python -m clientseg`` as a synonym of the ``clientseg`` command."""

from clientseg.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
