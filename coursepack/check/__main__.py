"""``python -m coursepack.check``: see coursepack.check.cli."""

import sys

from .cli import main

sys.exit(main())
