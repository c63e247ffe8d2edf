"""What a PromQL expression watches, from a real parser (``promql-parser``). Pure.

``analyse('sum(rate(x_total{code=~"5.."}[5m])) / sum(rate(x_total[5m])) > 0.05')``
gives the selectors (metric, label matchers, functions around them) and the threshold
comparisons (``> 0.05`` over both selectors), which is what required-alert matching and the
live series check need.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import promql_parser as pp

COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})


@lru_cache(maxsize=1)
def _register_prometheus2_functions() -> None:
    """Functions of Prometheus 2.x that the parser (tracking 3.x) no longer knows."""
    vt = pp.ValueType
    with contextlib.suppress(ValueError):  # already registered elsewhere, or built in
        pp.register_extra_functions(
            [pp.Function("holt_winters", [vt.Matrix, vt.Scalar, vt.Scalar], vt.Vector)]
        )


_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}
ABSENT_FUNCTIONS = frozenset({"absent", "absent_over_time"})


@dataclass(frozen=True, slots=True)
class LabelMatcher:
    name: str
    op: str  # = != =~ !~
    value: str

    def accepts(self, value: str) -> bool:
        """Whether a series whose label has ``value`` passes this matcher ("" = label unset)."""
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        try:
            hit = re.fullmatch(self.value, value) is not None
        except re.error:
            return False
        return hit if self.op == "=~" else not hit


@dataclass(frozen=True, slots=True)
class Selector:
    """One vector selector: ``http_requests_total{code=~"5.."}``."""

    metric: str | None
    matchers: tuple[LabelMatcher, ...]
    functions: tuple[str, ...]  # functions and aggregations enclosing it, outermost first
    text: str  # the selector as PromQL, without offset / @

    @property
    def inside_absent(self) -> bool:
        return any(f in ABSENT_FUNCTIONS for f in self.functions)

    def metric_names(self) -> tuple[str, ...]:
        if self.metric:
            return (self.metric,)
        return tuple(m.value for m in self.matchers if m.name == "__name__" and m.op == "=")

    def selects_metric(self, pattern: str) -> bool:
        """Whether the metric name is (or the ``__name__`` regex allows) ``pattern``'s names."""
        names = self.metric_names()
        if names:
            return any(re.fullmatch(pattern, n) for n in names)
        regexes = [m for m in self.matchers if m.name == "__name__" and m.op == "=~"]
        return any(
            re.fullmatch(pattern, r.value) or re.fullmatch(r.value, pattern) for r in regexes
        )

    def matchers_for(self, label: str) -> tuple[LabelMatcher, ...]:
        return tuple(m for m in self.matchers if m.name == label)


@dataclass(frozen=True, slots=True)
class Comparison:
    """A filtering comparison against a constant, normalised to ``<watched> op threshold``."""

    op: str
    threshold: float
    selectors: tuple[Selector, ...]


@dataclass(frozen=True, slots=True)
class Analysis:
    selectors: tuple[Selector, ...]
    comparisons: tuple[Comparison, ...]
    functions: frozenset[str]


class PromQLError(ValueError):
    pass


@lru_cache(maxsize=4096)
def analyse(expr: str) -> Analysis:
    """Parse ``expr``; raise PromQLError with the parser's reason when it is not PromQL."""
    _register_prometheus2_functions()
    try:
        tree = pp.parse(expr)
    except (ValueError, RuntimeError) as exc:
        raise PromQLError(_clean(str(exc))) from None
    selectors: list[Selector] = []
    comparisons: list[Comparison] = []
    functions: set[str] = set()
    _walk(tree, (), selectors, comparisons, functions)
    return Analysis(tuple(selectors), tuple(comparisons), frozenset(functions))


def parse_error(expr: str) -> str | None:
    try:
        analyse(expr)
    except PromQLError as exc:
        return str(exc)
    return None


def _clean(message: str) -> str:
    return " ".join(message.split())


_MATCH_OPS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}


def _matcher(m: Any) -> LabelMatcher:
    op_name = str(m.op).split(".")[-1]
    op_name = op_name.split("(")[0]
    return LabelMatcher(m.name, _MATCH_OPS.get(op_name, "="), m.value)


def _selector(vs: Any, funcs: tuple[str, ...]) -> Selector:
    matchers = tuple(_matcher(m) for m in vs.matchers.matchers)
    for group in vs.matchers.or_matchers or ():
        matchers += tuple(_matcher(m) for m in group)
    inner = ",".join(str(m) for m in vs.matchers.matchers)
    name = vs.name or ""
    text = f"{name}{{{inner}}}" if inner or not name else name
    return Selector(vs.name, matchers, funcs, text)


def _walk(
    node: Any,
    funcs: tuple[str, ...],
    selectors: list[Selector],
    comparisons: list[Comparison],
    functions: set[str],
) -> list[Selector]:
    """Collect selectors/comparisons below ``node``; returns the selectors found below it."""
    found: list[Selector] = []

    def sub(child: Any, f: tuple[str, ...] = funcs) -> None:
        found.extend(_walk(child, f, selectors, comparisons, functions))

    if isinstance(node, pp.VectorSelector):
        sel = _selector(node, funcs)
        selectors.append(sel)
        found.append(sel)
    elif isinstance(node, pp.MatrixSelector):
        sub(node.vector_selector)
    elif isinstance(node, pp.Call):
        functions.add(node.func.name)
        for arg in node.args:
            sub(arg, (*funcs, node.func.name))
    elif isinstance(node, pp.AggregateExpr):
        op = str(node.op)
        functions.add(op)
        if node.param is not None and isinstance(node.param, pp.Expr):
            sub(node.param, (*funcs, op))
        sub(node.expr, (*funcs, op))
    elif isinstance(node, pp.BinaryExpr):
        op = str(node.op)
        lhs_start = len(found)
        sub(node.lhs)
        lhs = found[lhs_start:]
        rhs_start = len(found)
        sub(node.rhs)
        rhs = found[rhs_start:]
        returns_bool = node.modifier is not None and node.modifier.return_bool
        if op in COMPARISONS and not returns_bool:
            right = _constant(node.rhs)
            left = _constant(node.lhs)
            if right is not None and lhs:
                comparisons.append(Comparison(op, right, tuple(lhs)))
            elif left is not None and rhs:
                comparisons.append(Comparison(_FLIP[op], left, tuple(rhs)))
    elif isinstance(node, pp.ParenExpr | pp.UnaryExpr | pp.SubqueryExpr):
        sub(node.expr)
    return found


def _constant(node: Any) -> float | None:
    """The value of a constant sub-expression (``14.4 * 0.001``, ``(80)``), else None."""
    if isinstance(node, pp.NumberLiteral):
        return float(node.val)
    if isinstance(node, pp.ParenExpr):
        return _constant(node.expr)
    if isinstance(node, pp.UnaryExpr):
        inner = _constant(node.expr)
        return None if inner is None else -inner
    if isinstance(node, pp.Call) and node.func.name in ("scalar", "vector") and not node.args:
        return None
    if isinstance(node, pp.BinaryExpr):
        a, b = _constant(node.lhs), _constant(node.rhs)
        if a is None or b is None:
            return None
        op = str(node.op)
        try:
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                return a / b
            if op == "^":
                return float(a**b)
        except (ZeroDivisionError, OverflowError):
            return None
    return None
