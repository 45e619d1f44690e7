"""``python -m xlsxform``: the same as the ``xlsxform`` command."""

from .cli import entry

entry()
