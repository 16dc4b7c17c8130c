"""``python -m geomap`` -> the CLI."""

import sys

from geomap.cli import main

if __name__ == "__main__":
    sys.exit(main())
