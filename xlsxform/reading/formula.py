"""Simple arithmetic that departments type over inputs: =C5+C6, =SUM(C5:C6).

When a formula has no cached value (the file was written by a program, never
recalculated), the reader works it out here, over the form's own cells.
Anything beyond numbers, cell references, + - * /, parentheses and SUM is
not evaluated and is reported instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, DivisionByZero, InvalidOperation

_TOKEN = re.compile(
    r"\s*(?:(?P<range>\$?[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?\d+)|(?P<cell>\$?[A-Z]{1,3}\$?\d+)"
    r"|(?P<number>\d+(?:\.\d*)?|\.\d+)|(?P<sum>SUM\s*\()|(?P<op>[-+*/(),]))",
    re.I,
)
_CELL = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)", re.I)

Lookup = Callable[[int, int], Decimal | None]
"""The number in a cell (row, column), None when it is empty; raises
ValueError for text and Unresolved for a formula it cannot work out."""


class Unresolved(ValueError):
    """The formula is not simple arithmetic over the form's cells."""


def evaluate(formula: str, lookup: Lookup) -> Decimal:
    """The value of ``=…`` arithmetic, exactly, in Decimals."""
    tokens = _tokens(formula.removeprefix("="))
    parser = _Parser(tokens, lookup)
    value = parser.expression()
    if parser.position != len(tokens):
        raise Unresolved(formula)
    return value


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise Unresolved(text)
        kind = match.lastgroup or ""
        tokens.append((kind, match[kind].strip().upper()))
        position = match.end()
    return tokens


def _cell(ref: str) -> tuple[int, int]:
    match = _CELL.fullmatch(ref)
    if not match:
        raise Unresolved(ref)
    column = 0
    for letter in match[1].upper():
        column = column * 26 + ord(letter) - ord("A") + 1
    return int(match[2]), column


class _Parser:
    """expression := term (('+'|'-') term)*; term := factor (('*'|'/') factor)*;
    factor := ('+'|'-') factor | number | cell | SUM(args) | '(' expression ')'"""

    def __init__(self, tokens: list[tuple[str, str]], lookup: Lookup) -> None:
        self.tokens, self.lookup, self.position = tokens, lookup, 0

    def expression(self) -> Decimal:
        value = self.term()
        while self._peek() in {"+", "-"}:
            value = value + self.term() if self._next() == "+" else value - self.term()
        return value

    def term(self) -> Decimal:
        value = self.factor()
        while self._peek() in {"*", "/"}:
            if self._next() == "*":
                value *= self.factor()
            else:
                try:
                    value /= self.factor()
                except (DivisionByZero, InvalidOperation):
                    raise Unresolved("division by zero") from None
        return value

    def factor(self) -> Decimal:
        if self.position >= len(self.tokens):
            raise Unresolved("incomplete")
        kind, text = self.tokens[self.position]
        self.position += 1
        if text in {"+", "-"}:
            value = self.factor()
            return value if text == "+" else -value
        if kind == "number":
            return Decimal(text)
        if kind == "cell":
            try:
                return self.lookup(*_cell(text)) or Decimal(0)
            except Unresolved:
                raise
            except ValueError:
                raise Unresolved(text) from None
        if kind == "sum":
            return self._sum()
        if text == "(":
            value = self.expression()
            self._expect(")")
            return value
        raise Unresolved(text)

    def _sum(self) -> Decimal:
        total = Decimal(0)
        while True:
            kind, text = self.tokens[self.position] if self.position < len(self.tokens) else ("", "")
            if kind == "range":
                self.position += 1
                (top, left), (bottom, right) = (_cell(part) for part in text.split(":"))
                for row in range(min(top, bottom), max(top, bottom) + 1):
                    for col in range(min(left, right), max(left, right) + 1):
                        total += self._number_or_zero(row, col)
            else:
                total += self.expression()
            if self._next() == ")":
                return total
            if self.tokens[self.position - 1][1] != ",":
                raise Unresolved("SUM")

    def _number_or_zero(self, row: int, col: int) -> Decimal:
        """SUM over a range skips empty and text cells, as Excel does."""
        try:
            return self.lookup(row, col) or Decimal(0)
        except Unresolved:
            raise
        except ValueError:
            return Decimal(0)

    def _peek(self) -> str:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else ""

    def _next(self) -> str:
        if self.position >= len(self.tokens):
            raise Unresolved("incomplete")
        self.position += 1
        return self.tokens[self.position - 1][1]

    def _expect(self, text: str) -> None:
        if self._next() != text:
            raise Unresolved(text)
