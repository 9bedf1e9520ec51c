"""The SOQL subset refnet uses, parsed and evaluated over the sandbox's records.

Supported::

    SELECT field, ... | COUNT()  FROM Object
    [WHERE cond AND cond ...]          cond: field (= != <> < <= > >= LIKE) literal
                                             field [NOT] IN (literal, ...)
                                             idfield [NOT] IN (SELECT reffield FROM ... [WHERE ...])
    [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...]  [LIMIT n]  [OFFSET n]

Literals: 'quoted strings' (backslash escapes, as ``format_soql`` writes them), numbers,
true/false, null, unquoted date (2024-05-01) and datetime literals
(2024-05-01T10:00:00Z, +0000 or +00:00 offsets). As in Salesforce, a quoted string
compared with a date/datetime field is an error, text comparisons ignore case and
ascending order puts nulls first. Not supported (answered MALFORMED_QUERY): OR,
parentheses, relationship paths, sub-queries other than the semi-join above, aggregates
other than COUNT(), date literals such as LAST_N_DAYS.

Semi-joins follow the SOQL and SOSL Reference, "Semi-Joins with IN and Anti-Joins with NOT
IN": the left operand is an ID or reference field, the sub-query selects exactly one ID or
reference field of another object, and sub-queries do not nest; anything else is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.sandbox.ids import salesforce_id_suffix
from adapters.sandbox.salesforce_schema import SfField
from adapters.sandbox.store import parse_iso_ms

__all__ = ["Condition", "Soql", "SoqlError", "parse_soql"]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
_NO_SUCH_COLUMN = (
    "No such column '{field}' on entity '{entity}'. If you are attempting to use a custom "
    "field, be sure to append the '__c' after the custom field name. Please reference your "
    "WSDL or the describe call for the appropriate names."
)


class SoqlError(Exception):
    """A query Salesforce would refuse: ``code`` is its errorCode (MALFORMED_QUERY, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


@dataclass(frozen=True)
class Literal:
    kind: str  # string, number, boolean, null, date, datetime
    value: Any


@dataclass(frozen=True)
class Condition:
    field: SfField
    op: str
    values: tuple[Literal, ...]
    subquery: Soql | None = None  # a semi-join: the values come from this query


@dataclass
class Soql:
    object_name: str
    fields: list[SfField] = field(default_factory=list)
    count_only: bool = False
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[SfField, bool, bool]] = field(default_factory=list)  # field, desc, nulls last
    limit: int | None = None
    offset: int = 0

    def run(
        self,
        records: Sequence[Mapping[str, Any]],
        fetch: Callable[[str], Sequence[Mapping[str, Any]]] | None = None,
    ) -> list[Mapping[str, Any]]:
        """The matching records in query order, after OFFSET and LIMIT.

        ``fetch`` gives a semi-join's sub-query the records of its object.
        """
        conditions = [_resolved(c, fetch) for c in self.conditions]
        selected = [r for r in records if all(_matches(c, r) for c in conditions)]
        for spec, descending, nulls_last in reversed(self.order):
            keyed = [
                (_sort_key(spec, r[spec.name]), r) for r in selected if r.get(spec.name) is not None
            ]
            missing = [r for r in selected if r.get(spec.name) is None]
            keyed.sort(key=lambda pair: pair[0], reverse=descending)  # stable: earlier keys hold
            present = [r for _, r in keyed]
            selected = present + missing if nulls_last else missing + present
        selected = selected[self.offset :]
        return selected if self.limit is None else selected[: self.limit]


def _resolved(
    condition: Condition, fetch: Callable[[str], Sequence[Mapping[str, Any]]] | None
) -> Condition:
    """A semi-join as the plain IN list of the ids its sub-query selects."""
    sub = condition.subquery
    if sub is None:
        return condition
    if fetch is None:
        raise SoqlError("MALFORMED_QUERY", "semi-join sub-queries need the sandbox's records")
    column = sub.fields[0].name
    rows = sub.run(fetch(sub.object_name))
    ids = {str(value) for row in rows if (value := row.get(column)) is not None}
    values = tuple(Literal("string", value) for value in sorted(ids))
    return Condition(condition.field, condition.op, values)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text[position:].split()[0]}'")
        kind = match.lastgroup or "word"
        tokens.append(_Token(kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, resolve: Callable[[str], Mapping[str, SfField] | None]) -> None:
        self._tokens = _tokenize(text)
        self._position = 0
        self._resolve = resolve
        self._nested = False

    def _peek(self) -> _Token | None:
        return self._tokens[self._position] if self._position < len(self._tokens) else None

    def _next(self) -> _Token:
        token = self._peek()
        if token is None:
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query")
        self._position += 1
        return token

    def _keyword(self, *words: str) -> bool:
        token = self._peek()
        if token is not None and token.kind == "word" and token.text.upper() in words:
            self._position += 1
            return True
        return False

    def _expect(self, word: str) -> None:
        if not self._keyword(word):
            token = self._peek()
            found = token.text if token else "end of query"
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{found}'")

    def parse(self, *, nested: bool = False) -> Soql:
        self._expect("SELECT")
        names: list[str] = []
        count_only = False
        if self._keyword("COUNT"):
            if (self._next().text, self._next().text) != ("(", ")"):
                raise SoqlError("MALFORMED_QUERY", "only COUNT() is supported")
            count_only = True
        else:
            names.append(self._next().text)
            while self._peek() is not None and self._peek() == _Token("punct", ","):
                self._position += 1
                names.append(self._next().text)
        self._expect("FROM")
        object_token = self._next()
        fields = self._resolve(object_token.text)
        if fields is None:
            raise SoqlError(
                "INVALID_TYPE",
                f"sObject type '{object_token.text}' is not supported. If you are attempting to "
                "use a custom object, be sure to append the '__c' after the entity name. Please "
                "reference your WSDL or the describe call for the appropriate names.",
            )
        self._fields = fields
        self._entity = object_token.text
        query = Soql(object_token.text, count_only=count_only)
        query.fields = [self._field(name) for name in names]
        if self._keyword("WHERE"):
            query.conditions.append(self._condition())
            while self._keyword("AND"):
                query.conditions.append(self._condition())
            if self._keyword("OR"):
                raise SoqlError("MALFORMED_QUERY", "the sandbox supports AND only, not OR")
        if self._keyword("ORDER"):
            self._expect("BY")
            query.order.append(self._order_item())
            while self._peek() == _Token("punct", ","):
                self._position += 1
                query.order.append(self._order_item())
        if self._keyword("LIMIT"):
            query.limit = self._integer()
        if self._keyword("OFFSET"):
            query.offset = self._integer()
        if self._peek() is not None and not (nested and self._peek() == _Token("punct", ")")):
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{self._next().text}'")
        return query

    def _integer(self) -> int:
        token = self._next()
        if token.kind != "number" or not token.text.isdigit():
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{token.text}'")
        return int(token.text)

    def _field(self, name: str) -> SfField:
        if "." in name:
            raise SoqlError(
                "INVALID_FIELD",
                f"Didn't understand relationship '{name.split('.', maxsplit=1)[0]}' in field path. "
                "The sandbox does not support relationship queries.",
            )
        spec = self._fields.get(name.lower())
        if spec is None:
            raise SoqlError(
                "INVALID_FIELD", _NO_SUCH_COLUMN.format(field=name, entity=self._entity)
            )
        return spec

    def _order_item(self) -> tuple[SfField, bool, bool]:
        spec = self._field(self._next().text)
        descending = self._keyword("DESC")
        if not descending:
            self._keyword("ASC")
        nulls_last = descending
        if self._keyword("NULLS"):
            nulls_last = self._keyword("LAST")
            if not nulls_last:
                self._expect("FIRST")
        return spec, descending, nulls_last

    def _condition(self) -> Condition:
        token = self._next()
        if token.kind != "word":
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{token.text}'")
        spec = self._field(token.text)
        negated = self._keyword("NOT")
        if self._keyword("IN"):
            if self._next().text != "(":
                raise SoqlError("MALFORMED_QUERY", "expected '(' after IN")
            peeked = self._peek()
            if peeked is not None and peeked.kind == "word" and peeked.text.upper() == "SELECT":
                return self._semi_join(spec, "NOT IN" if negated else "IN")
            values = [self._literal(spec)]
            while (separator := self._next().text) == ",":
                values.append(self._literal(spec))
            if separator != ")":
                raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{separator}'")
            return Condition(spec, "NOT IN" if negated else "IN", tuple(values))
        if negated:
            raise SoqlError("MALFORMED_QUERY", "expected IN after NOT")
        op_token = self._next()
        if op_token.kind == "word" and op_token.text.upper() == "LIKE":
            return Condition(spec, "LIKE", (self._literal(spec),))
        if op_token.kind != "op":
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{op_token.text}'")
        op = "!=" if op_token.text == "<>" else op_token.text
        return Condition(spec, op, (self._literal(spec),))

    def _semi_join(self, spec: SfField, op: str) -> Condition:
        if self._nested:
            raise SoqlError("MALFORMED_QUERY", "semi-join sub-selects can not be nested")
        if spec.type not in ("id", "reference"):
            raise SoqlError(
                "MALFORMED_QUERY",
                f"{spec.name}: a semi-join needs an ID or reference field on the left",
            )
        inner = _Parser.__new__(_Parser)
        inner._tokens, inner._position = self._tokens, self._position
        inner._resolve, inner._nested = self._resolve, True
        sub = inner.parse(nested=True)
        self._position = inner._position
        if self._next().text != ")":
            raise SoqlError("MALFORMED_QUERY", "expected ')' after the sub-query")
        if sub.count_only or len(sub.fields) != 1 or sub.fields[0].type not in ("id", "reference"):
            raise SoqlError(
                "MALFORMED_QUERY", "a semi-join sub-query selects exactly one ID or reference field"
            )
        return Condition(spec, op, (), sub)

    def _literal(self, spec: SfField) -> Literal:
        token = self._next()
        if token.kind == "string":
            if spec.type in ("date", "datetime"):
                kind = "dateTime" if spec.type == "datetime" else "date"
                raise SoqlError(
                    "INVALID_FIELD",
                    f"value of filter criterion for field '{spec.name}' must be of type {kind} "
                    "and should not be enclosed in quotes",
                )
            body = re.sub(
                r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), token.text[1:-1]
            )
            return Literal("string", body)
        if token.kind == "number":
            return Literal("number", float(token.text))
        if token.kind == "datetime":
            return Literal("datetime", parse_iso_ms(token.text))
        if token.kind == "date":
            return Literal("date", token.text)
        if token.kind == "word" and token.text.lower() in ("true", "false"):
            return Literal("boolean", token.text.lower() == "true")
        if token.kind == "word" and token.text.lower() == "null":
            return Literal("null", None)
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{token.text}'")


def parse_soql(text: str, resolve: Callable[[str], Mapping[str, SfField] | None]) -> Soql:
    """Parse ``text``; ``resolve`` maps an object name to its fields (lower-cased keys)."""
    return _Parser(text, resolve).parse()


def _sort_key(spec: SfField, value: Any) -> Any:
    if spec.type == "datetime":
        return parse_iso_ms(str(value)) or 0
    if isinstance(value, str):
        return value.lower()
    return value


def _comparable(spec: SfField, value: Any) -> Any:
    if value is None:
        return None
    if spec.type == "datetime":
        # Literals are parsed to epoch ms already; stored values are ISO strings.
        return value if isinstance(value, int) else parse_iso_ms(str(value))
    if isinstance(value, str) and spec.type not in ("id", "reference"):
        return value.lower()
    if isinstance(value, str) and len(value) == 15:
        return value + salesforce_id_suffix(value)
    return value


def _like(pattern: str, value: str) -> bool:
    regex = "".join(
        ".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern
    )
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


def _matches(condition: Condition, record: Mapping[str, Any]) -> bool:
    spec = condition.field
    actual = _comparable(spec, record.get(spec.name))
    wanted = [_comparable(spec, literal.value) for literal in condition.values]
    if condition.op in ("IN", "NOT IN"):
        found = actual in wanted
        return found if condition.op == "IN" else not found
    target = wanted[0]
    if condition.op == "=":
        return bool(actual == target)
    if condition.op == "!=":
        return bool(actual != target)
    if actual is None or target is None:
        return False
    if condition.op == "LIKE":
        return _like(str(condition.values[0].value), str(record.get(spec.name)))
    try:
        if condition.op == "<":
            return bool(actual < target)
        if condition.op == "<=":
            return bool(actual <= target)
        if condition.op == ">":
            return bool(actual > target)
        return bool(actual >= target)
    except TypeError:
        return False
