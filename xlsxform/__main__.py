"""``python -m xlsxform``: the same as the ``xlsxform`` command."""

from xlsxform.cli.main import entry

entry()
