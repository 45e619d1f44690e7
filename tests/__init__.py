"""Specifications of xlsxform."""
