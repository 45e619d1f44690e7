"""Spec + form data -> a styled, protected workbook a department fills in."""
