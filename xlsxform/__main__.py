"""``python -m xlsxform``: the same as the ``xlsxform`` command."""

import gc

gc.disable()  # before the command's imports, as entry() does for the rest of the run

from xlsxform.cli.main import entry  # noqa: E402

entry()
