"""JSON as RFC 8259 defines it, no more: what Python's ``json`` accepts beyond it is a problem.

Python's parser accepts ``NaN``, ``Infinity`` and ``-Infinity`` literals (not JSON: a later
``json.dumps`` writes them back, and other readers fail on them), silently keeps the last of
two members with one name (another reader may keep the first: a broken first ``ome`` would
never be checked), and turns numbers beyond a double's range into infinity. Each is a
:class:`JsonProblem` here, naming where it is (JSON pointer, line and column).

The common case costs little: the C parser runs with two hooks that only raise. Only a
document that trips one is scanned again, by :func:`locate`, to say where.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from validator.model import pointer


class JsonProblem(str):
    """A problem with a document's JSON (the message), and the JSON pointer it is at."""

    pointer: str

    def __new__(cls, message: str, at: str = "") -> JsonProblem:
        problem = super().__new__(cls, message)
        problem.pointer = at
        return problem


class _NotJson(Exception):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _NotJson("duplicate key")
    return value


def _constant(name: str) -> Any:
    raise _NotJson(name)


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotJson("out of range")
    return value


def loads(data: bytes | str) -> Any:
    """``json.loads`` that raises :class:`ValueError` with a :class:`JsonProblem` message for
    duplicate keys, non-JSON literals and numbers out of a double's range."""
    # UTF-8 only (RFC 8259 section 8.1): json.loads would also guess UTF-16 and UTF-32.
    text = bytes(data).decode("utf-8") if isinstance(data, bytes | bytearray) else data
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant,
                          parse_float=_float)
    except _NotJson:
        problem = locate(text)
        raise ValueError(problem or JsonProblem("not JSON")) from None


# -- locating a problem ------------------------------------------------------------------------

_TOKEN = re.compile(
    r'"((?:[^"\\]|\\.)*)"'            # 1: a string (raw)
    r"|([{}\[\],:])"                  # 2: punctuation
    r"|(-?Infinity|NaN)(?![\w.])"     # 3: a literal that is not JSON
    r"|(-?[0-9][0-9.eE+-]*)"          # 4: a number
    r"|([A-Za-z_]+)"                  # 5: true, false, null (or junk: the parser said so)
    r"|\s+",
    re.DOTALL,
)


@dataclass(slots=True)
class _Frame:
    is_object: bool
    path: tuple[str | int, ...]
    keys: dict[str, int] = field(default_factory=dict)  # key -> offset of its first occurrence
    key: str | None = None
    index: int = 0
    expect_key: bool = True


def _line_col(newlines: list[int], offset: int) -> str:
    line = bisect.bisect_right(newlines, offset - 1)
    start = newlines[line - 1] + 1 if line else 0
    return f"{line + 1}:{offset - start + 1}"


def locate(text: str) -> JsonProblem | None:
    """The first duplicate key, non-JSON literal or out-of-range number of ``text`` (a
    document the C parser refused through one of the hooks), with its pointer and position."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    stack: list[_Frame] = []

    def here() -> tuple[str | int, ...]:
        if not stack:
            return ()
        top = stack[-1]
        if top.is_object:
            return (*top.path, top.key) if top.key is not None else top.path
        return (*top.path, top.index)

    for match in _TOKEN.finditer(text):
        raw, punct, literal, number = match.group(1), match.group(2), match.group(3), match.group(4)
        offset = match.start()
        top = stack[-1] if stack else None
        if raw is not None and top is not None and top.is_object and top.expect_key:
            try:
                key = json.loads(f'"{raw}"')
            except ValueError:
                return None
            if key in top.keys:
                first = _line_col(newlines, top.keys[key])
                at = pointer(*top.path)
                return JsonProblem(
                    f"not JSON we can read: the key {key!r} appears twice in the object at "
                    f"{at or '/'} (line:col {first} and {_line_col(newlines, offset)}); "
                    "readers disagree on which one counts",
                    pointer(*top.path, key),
                )
            top.keys[key] = offset
            top.key = key
            top.expect_key = False
        elif literal is not None:
            return JsonProblem(f"not JSON: {literal.lstrip('-')} literal at "
                               f"{_line_col(newlines, offset)}", pointer(*here()))
        elif number is not None:
            try:
                infinite = math.isinf(float(number))
            except ValueError:
                infinite = False
            if infinite:
                return JsonProblem(f"not JSON we can read: the number at "
                                   f"{_line_col(newlines, offset)} is beyond the range of a "
                                   "64-bit float", pointer(*here()))
        elif punct in ("{", "["):
            stack.append(_Frame(punct == "{", here()))
        elif punct in ("}", "]"):
            if stack:
                stack.pop()
        elif punct == "," and top is not None:
            if top.is_object:
                top.expect_key, top.key = True, None
            else:
                top.index += 1
    return None
