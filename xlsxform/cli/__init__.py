"""The ``xlsxform`` command: a thin layer over the library for finance officers."""
