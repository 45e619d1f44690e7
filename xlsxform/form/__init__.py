"""The form's data, independent of any layout: the pydantic model, amounts as
exact Decimals, the rules across fields, and problems as data (severity, code,
cell, field, value, message)."""
