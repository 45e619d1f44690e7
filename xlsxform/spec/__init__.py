"""Layout specs: the declarative description of a form in templates/, which
drives both rendering and reading."""
