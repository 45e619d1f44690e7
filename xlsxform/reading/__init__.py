"""A filled workbook -> form data + problems, and the department's own workbook
with every problem marked."""
