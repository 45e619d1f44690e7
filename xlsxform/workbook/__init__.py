"""Spreadsheet libraries (openpyxl, xlrd) live in this package and nowhere
else: their quirks (MergedCell, strings beginning with '=' turned into
formulas, no cached values, lying dimensions) are handled here, and the rest of
xlsxform sees a writer with a few verbs, a grid of plain values, plain tables
and a marker.  Importing the package loads nothing: each module loads its
library when it is imported."""
