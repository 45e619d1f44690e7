"""Expressions over field paths: one text gives the template's Excel formula
and the reader's exact Decimal check.

    budget.basic + budget.project == budget.fiscal + budget.other_funds
    sum(key_tasks[*].funds) <= budget.project
    ratio(funds.total.spent, funds.total.budget)
    round(10 * min(funds.rate, 1), 2)
    score >= weight or filled(reason)

Grammar (lowest precedence first)::

    expr    := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | compare
    compare := sum (('=='|'!='|'<='|'>='|'<'|'>') sum)?
    sum     := product (('+'|'-') product)*
    product := unary (('*'|'/') unary)*
    unary   := '-' unary | atom
    atom    := number | "text" | path | name '(' expr (',' expr)* ')' | '(' expr ')'
    path    := name ('.' name | '[*]' '.' name)*

Functions: sum, min, max, round(x, places), ratio(a, b[, places]) (blank
when b is 0 or blank, rounded when places are given), if(condition, then,
else), abs, filled(x) (not blank), sumif(items[*].x, items[*].key, "text")
(the x of the rows whose key is text).  A blank counts as 0 in arithmetic, as Excel does; a comparison with a blank side
(a ratio over nothing, an empty cell compared directly) is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from xlsxform.errors import SpecError

FUNCTIONS = {"sum": (1, 99), "min": (1, 99), "max": (1, 99), "round": (2, 2), "ratio": (2, 3), "if": (3, 3), "abs": (1, 1), "filled": (1, 1), "sumif": (3, 3)}
COMPARISONS = {"==": "=", "!=": "<>", "<=": "<=", ">=": ">=", "<": "<", ">": ">"}

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<text>\"[^\"]*\")|(?P<path>[A-Za-z_]\w*(?:(?:\[\*\])?\.[A-Za-z_]\w*)*(?:\[\*\])?)"
    r"|(?P<op>==|!=|<=|>=|[-+*/(),<>]))"
)


@dataclass(frozen=True)
class Node:
    """One node of a parsed expression: kind is number, text, path, call, unary or binary."""

    kind: str
    value: str = ""
    args: tuple[Node, ...] = ()

    def paths(self) -> Iterator[str]:
        """Every field path the expression reads."""
        if self.kind == "path":
            yield self.value
        for arg in self.args:
            yield from arg.paths()

    @property
    def is_comparison(self) -> bool:
        return self.kind == "binary" and self.value in COMPARISONS


@cache
def parse(text: str) -> Node:
    """The expression as a tree; SpecError naming the fault when it is not one."""
    tokens = _tokens(text)
    parser = _Parser(tokens, text)
    node = parser.expr()
    if parser.position != len(tokens):
        raise _fault(text, f"unexpected {tokens[parser.position][1]!r}")
    return node


def _fault(text: str, reason: str) -> SpecError:
    return SpecError(f"表达式“{text}”有误：{reason}", f"bad expression {text!r}: {reason}", code="spec-expression")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise _fault(text, f"cannot read {text[position:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match[kind]))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens, self.text, self.position = tokens, text, 0

    def _peek(self) -> str:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else ""

    def _take(self) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise _fault(self.text, "incomplete")
        self.position += 1
        return self.tokens[self.position - 1]

    def _binary(self, ops: set[str], inner: Callable[[], Node]) -> Node:
        node = inner()
        while self._peek() in ops:
            op = self._take()[1]
            node = Node("binary", op, (node, inner()))
        return node

    def expr(self) -> Node:
        return self._binary({"or"}, self.conjunction)

    def conjunction(self) -> Node:
        return self._binary({"and"}, self.negation)

    def negation(self) -> Node:
        if self._peek() == "not":
            self._take()
            return Node("unary", "not", (self.negation(),))
        return self.compare()

    def compare(self) -> Node:
        node = self.sum()
        if self._peek() in COMPARISONS:
            op = self._take()[1]
            node = Node("binary", op, (node, self.sum()))
        return node

    def sum(self) -> Node:
        return self._binary({"+", "-"}, self.product)

    def product(self) -> Node:
        return self._binary({"*", "/"}, self.unary)

    def unary(self) -> Node:
        if self._peek() == "-":
            self._take()
            return Node("unary", "-", (self.unary(),))
        return self.atom()

    def atom(self) -> Node:
        kind, text = self._take()
        if kind == "number":
            return Node("number", text)
        if kind == "text":
            return Node("text", text[1:-1])
        if text == "(":
            node = self.expr()
            self._expect(")")
            return node
        if kind == "path" and self._peek() == "(":
            if text not in FUNCTIONS:
                raise _fault(self.text, f"unknown function {text!r}")
            self._take()
            args = [self.expr()]
            while self._peek() == ",":
                self._take()
                args.append(self.expr())
            self._expect(")")
            low, high = FUNCTIONS[text]
            if not low <= len(args) <= high:
                raise _fault(self.text, f"{text}() takes {low}-{high} arguments")
            return Node("call", text, tuple(args))
        if kind == "path" and text not in {"and", "or", "not"}:
            return Node("path", text)
        raise _fault(self.text, f"unexpected {text!r}")

    def _expect(self, text: str) -> None:
        if self._take()[1] != text:
            raise _fault(self.text, f"expected {text!r}")


# -- Excel ------------------------------------------------------------------

Refs = Callable[[str], str]
"""The cell (C5) or range (D12:D17) of a field path."""


def excel(node: Node, refs: Refs) -> str:
    """The Excel formula (without '=') computing ``node`` over the sheet's cells."""
    match node.kind:
        case "number":
            return node.value
        case "text":
            return '"' + node.value.replace('"', '""') + '"'
        case "path":
            return refs(node.value)
        case "unary":
            inner = excel(node.args[0], refs)
            return f"NOT({inner})" if node.value == "not" else f"-{_wrap(node.args[0], inner)}"
        case "binary" if node.value in {"and", "or"}:
            return f"{node.value.upper()}({','.join(excel(a, refs) for a in node.args)})"
        case "binary":
            left = _wrap(node.args[0], excel(node.args[0], refs), node.value)
            right = _wrap(node.args[1], excel(node.args[1], refs), node.value, right=True)
            return f"{left}{COMPARISONS.get(node.value, node.value)}{right}"
    args = [excel(a, refs) for a in node.args]
    match node.value:
        case "ratio":
            quotient = f"{_wrap(node.args[0], args[0], '/')}/{_wrap(node.args[1], args[1], '/', right=True)}"
            if len(args) == 3:
                quotient = f"ROUND({quotient},{args[2]})"
            return f'IF(N({args[1]})=0,"",{quotient})'
        case "if":
            return f"IF({args[0]},{args[1]},{args[2]})"
        case "filled":
            return f'{args[0]}<>""'
        case "sumif":
            return f"SUMIF({args[1]},{args[2]},{args[0]})"
    return f"{node.value.upper()}({','.join(args)})"


_PRECEDENCE = {"or": 0, "and": 1, **dict.fromkeys(COMPARISONS, 2), "+": 3, "-": 3, "*": 4, "/": 4}


def _wrap(node: Node, text: str, outer: str = "*", *, right: bool = False) -> str:
    """Parenthesise an operand that binds less tightly than ``outer`` (or as
    tightly, on the right: a-(b-c))."""
    if node.kind != "binary" or node.value in {"and", "or"}:
        return text
    mine, theirs = _PRECEDENCE[node.value], _PRECEDENCE.get(outer, 4)
    return f"({text})" if mine < theirs or (right and mine == theirs) else text


# -- Decimal ----------------------------------------------------------------

Scalar = Decimal | str | bool | None
Values = Callable[[str], Scalar | list[Scalar]]
"""The value of a field path; a list for a column of a table (items[*].x)."""


def evaluate(node: Node, values: Values) -> Scalar:
    """``node`` worked out exactly; None when it cannot be (a ratio over nothing)."""
    match node.kind:
        case "number":
            return Decimal(node.value)
        case "text":
            return node.value
        case "path":
            found = values(node.value)
            return _total(found) if isinstance(found, list) else found
        case "unary":
            inner = evaluate(node.args[0], values)
            if node.value == "not":
                return None if inner is None else not inner
            return -_number(inner)
        case "binary":
            return _binary(node, values)
    return _call(node, values)


def _binary(node: Node, values: Values) -> Scalar:
    op = node.value
    if op in {"and", "or"}:
        left, right = (evaluate(a, values) for a in node.args)
        if op == "and":
            return False if left is False or right is False else None if left is None or right is None else True
        return True if left is True or right is True else None if left is None or right is None else False
    left, right = (evaluate(a, values) for a in node.args)
    if op in COMPARISONS:
        if left is None or right is None:
            return None
        if isinstance(left, str) or isinstance(right, str):
            a, b = str(left), str(right)
            return {"==": a == b, "!=": a != b}.get(op)
        x, y = _number(left), _number(right)
        return {"==": x == y, "!=": x != y, "<=": x <= y, ">=": x >= y, "<": x < y, ">": x > y}[op]
    x, y = _number(left), _number(right)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    return None if y == 0 else x / y


def _call(node: Node, values: Values) -> Scalar:
    name = node.value
    if name in {"sum", "min", "max"}:
        items: list[Decimal] = []
        for arg in node.args:
            found = values(arg.value) if arg.kind == "path" else evaluate(arg, values)
            for item in found if isinstance(found, list) else [found]:
                if item is not None and item != "":
                    items.append(_number(item))
        if name == "sum":
            return sum(items, Decimal(0))
        return (min if name == "min" else max)(items) if items else None
    if name == "sumif":
        found, keys = (values(a.value) if a.kind == "path" else evaluate(a, values) for a in node.args[:2])
        wanted = evaluate(node.args[2], values)
        pairs = zip(found if isinstance(found, list) else [found], keys if isinstance(keys, list) else [keys], strict=False)
        return sum((_number(v) for v, k in pairs if k == wanted and v not in (None, "")), Decimal(0))
    args = [evaluate(a, values) for a in node.args]
    if name == "ratio":
        if args[0] is None or args[1] in (None, "") or _number(args[1]) == 0:
            return None
        quotient = _number(args[0]) / _number(args[1])
        return quotient.quantize(Decimal(1).scaleb(-int(_number(args[2]))), rounding=ROUND_HALF_UP) if len(args) == 3 else quotient
    if name == "round":
        if args[0] is None:
            return None
        places = Decimal(1).scaleb(-int(_number(args[1])))
        return _number(args[0]).quantize(places, rounding=ROUND_HALF_UP)
    if name == "if":
        return args[1] if args[0] else args[2]
    if name == "abs":
        return None if args[0] is None else abs(_number(args[0]))
    return args[0] not in (None, "")  # filled


def _total(items: list[Scalar]) -> Decimal:
    return sum((_number(i) for i in items if i not in (None, "")), Decimal(0))


def _number(value: Scalar) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return Decimal(0)
    return value
