"""``python -m xlsxform``: the same as the ``xlsxform`` command."""

import sys

from .cli import main

sys.exit(main())
