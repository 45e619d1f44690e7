"""A catalogue of hostile and broken files, built from a good rendered form (see build.py)."""
