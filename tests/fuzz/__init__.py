"""Fuzz harnesses (atheris) and the bounded CI run of them; see README.md, "Fuzzing the input parsers"."""
