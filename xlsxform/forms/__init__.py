"""The built-in forms' models, generated from their specs (templates/*.toml).

Each module is the output of :func:`xlsxform.spec.generate.model_source`
for one spec, committed so that library users and type checkers see real
classes; a test regenerates each and compares.
"""
