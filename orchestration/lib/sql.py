"""Quoting for the few places where SQL text is generated from constants (specs, catalog names, our paths).

Values from data never go through these: they travel as bound parameters.
"""


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
