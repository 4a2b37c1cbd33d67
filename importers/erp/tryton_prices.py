"""Tryton price lists computed here, as Tryton computes them (``product.price_list.compute``).

Tryton offers no RPC that prices a product through a price list, so the connector reads the
lists and their lines and applies them: the first line (by sequence, then id) whose product,
category (the product's categories and their parents) and minimum quantity match gives the
formula. A formula is a small arithmetic expression over ``unit_price``, ``cost_price`` and
``list_price`` (``unit_price * 0.9``, ``list_price - Decimal('5')``); numbers in it are
decimals, as in Tryton. It is evaluated on a whitelist of expression nodes, never with
``eval``; a formula outside it is reported, not run.

Quantity tiers become the hub's ``min_quantity`` price entries: one entry for quantity 1 and
one for each line quantity where the price changes.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

PRICE_PLACES = Decimal("0.0001")  # Tryton's default price_decimal (4)
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {"min": min, "max": max, "abs": abs}
NAMES = frozenset({"unit_price", "cost_price", "list_price"})


class FormulaError(ValueError):
    """A formula this evaluator does not run (or that fails on a product)."""


class _Null(Exception):
    """A name without a value: Tryton's DecimalNull makes the whole result empty."""


@dataclass(frozen=True, slots=True)
class Formula:
    text: str
    tree: ast.Expression

    @classmethod
    def parse(cls, text: str) -> Formula:
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as error:
            raise FormulaError(f"formula {text!r} is not an expression: {error.msg}") from None
        for node in ast.walk(tree):
            _check_node(node, text)
        return cls(text, tree)

    def evaluate(self, names: dict[str, Decimal | None]) -> Decimal | None:
        try:
            value = _evaluate(self.tree.body, names)
        except _Null:
            return None
        except (ArithmeticError, InvalidOperation, TypeError) as error:
            raise FormulaError(f"formula {self.text!r} failed: {error}") from None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise FormulaError(f"formula {self.text!r} does not give a number")
        return Decimal(value).quantize(PRICE_PLACES, rounding=ROUND_HALF_EVEN)


def _check_node(node: ast.AST, text: str) -> None:
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Constant,
               ast.Name, ast.Load, ast.Call, ast.operator, ast.unaryop, ast.cmpop,
               ast.BoolOp, ast.boolop)
    if not isinstance(node, allowed):
        raise FormulaError(f"formula {text!r}: {type(node).__name__} is not supported")
    if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
        raise FormulaError(f"formula {text!r}: operator {type(node.op).__name__} is not supported")
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
        raise FormulaError(f"formula {text!r}: operator {type(node.op).__name__} is not supported")
    if isinstance(node, ast.Name) and node.id not in NAMES | {"Decimal", *_FUNCTIONS}:
        raise FormulaError(f"formula {text!r}: unknown name {node.id!r}")
    if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str):
        raise FormulaError(f"formula {text!r}: constant {node.value!r} is not supported")
    callable_names = {*_FUNCTIONS, "Decimal"}
    if isinstance(node, ast.Call) and (not isinstance(node.func, ast.Name) or node.keywords
                                       or node.func.id not in callable_names):
        raise FormulaError(f"formula {text!r}: only Decimal(), min(), max() and abs() "
                           "may be called")


def _evaluate(node: ast.AST, names: dict[str, Decimal | None]) -> Any:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, float):
            return Decimal(repr(value))  # Tryton's decistmt: literals are decimals
        return Decimal(value) if isinstance(value, int) else value
    if isinstance(node, ast.Name):
        named = names.get(node.id)
        if named is None:
            raise _Null
        return named
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, names), _evaluate(node.right, names))
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, names)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.Not):
            return not operand
        return +operand
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, names)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(right_node, names)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        values = [_evaluate(v, names) for v in node.values]
        if isinstance(node.op, ast.And):
            return all(values)
        return any(values)
    if isinstance(node, ast.IfExp):
        branch = node.body if _evaluate(node.test, names) else node.orelse
        return _evaluate(branch, names)
    if isinstance(node, ast.Call):
        args = [_evaluate(arg, names) for arg in node.args]
        name = node.func.id  # type: ignore[attr-defined]
        if name == "Decimal":
            if len(args) != 1:
                raise TypeError("Decimal() takes one argument")
            return Decimal(str(args[0]))
        return _FUNCTIONS[name](*args)
    raise TypeError(f"{type(node).__name__} is not supported")  # unreachable after parse


@dataclass(frozen=True, slots=True)
class PriceListLine:
    product: int | None
    category: int | None
    quantity: Decimal | None
    formula: Formula


@dataclass(slots=True)
class PriceList:
    """One Tryton price list: its lines in the order Tryton tries them."""

    id: int
    name: str
    currency: str
    base: str | None  # "list_price", "cost_price" or None: what unit_price is
    lines: list[PriceListLine]

    def tiers(self, *, product: int, categories: Iterable[int],
              list_price: Decimal | None, cost_price: Decimal | None) -> list[dict[str, Any]]:
        """The product's prices as hub price entries: quantity 1, then each line quantity
        where the price changes. An empty list: no line applies (or its result is empty)."""
        category_set = frozenset(categories)
        names = {"list_price": list_price, "cost_price": cost_price or Decimal(0),
                 "unit_price": {"list_price": list_price,
                                "cost_price": cost_price or Decimal(0)}.get(self.base or "")}
        steps = sorted({Decimal(1)} | {
            line.quantity for line in self.lines
            if line.quantity is not None and line.quantity > 1
            and line.product in (None, product)
            and (line.category is None or line.category in category_set)})
        entries: list[dict[str, Any]] = []
        previous: Decimal | None = None
        for step in steps:
            price = self._price_at(product, category_set, step, names)
            if price is None or price == previous:
                continue
            previous = price
            minimum = max(1, math.ceil(step))
            entry: dict[str, Any] = {"amount": price, "currency": self.currency}
            if minimum > 1:
                entry["min_quantity"] = minimum
            entries.append(entry)
        return entries

    def _price_at(self, product: int, categories: frozenset[int], quantity: Decimal,
                  names: dict[str, Decimal | None]) -> Decimal | None:
        for line in self.lines:
            if line.product is not None and line.product != product:
                continue
            if line.category is not None and line.category not in categories:
                continue
            if line.quantity is not None and line.quantity > abs(quantity):
                continue
            return line.formula.evaluate(names)
        return None


def with_ancestors(categories: Iterable[int], parents: dict[int, int | None]) -> set[int]:
    """Categories and every parent above them (Tryton matches a line's category so)."""
    found: set[int] = set()
    for category in categories:
        current: int | None = category
        while current is not None and current not in found:
            found.add(current)
            current = parents.get(current)
    return found
