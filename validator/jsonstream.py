"""JSON written piece by piece: a report of 20,000 findings is 25 MB of SARIF, and building it
as one dict and one string took a service rendering six of them at once past 1 GB.

A value to write is ordinary JSON data (dicts, lists, strings, numbers, ...) in which some
arrays are :class:`LazyArray`: an iterable whose items are made only when they are written,
one at a time. :func:`iter_json` gives the text in chunks of about ``chunk`` characters, the
same text ``json.dumps(value, indent=indent)`` gives for the same value with every lazy array
made a list (:func:`materialize`), byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

#: Characters gathered before a chunk is given out: big enough that writing a chunk (to a
#: socket, a file) costs little per byte, small enough to be nothing next to a report.
CHUNK = 64 * 1024


class LazyArray:
    """A JSON array whose items come from ``items`` when it is written (once)."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def materialize(value: Any) -> Any:
    """``value`` with every lazy array made a list (for ``json.dumps`` and for tests)."""
    if isinstance(value, LazyArray):
        return [materialize(item) for item in value.items]
    if isinstance(value, dict):
        return {key: materialize(item) for key, item in value.items()}
    if isinstance(value, list):
        return [materialize(item) for item in value]
    return value


def iter_json(value: Any, *, indent: int | None = None, chunk: int = CHUNK) -> Iterator[str]:
    """The JSON text of ``value`` in chunks of about ``chunk`` characters (the last one may
    be shorter); ``"".join`` of them is ``json.dumps(materialize(value), indent=indent)``."""
    pending: list[str] = []
    size = 0
    for piece in _pieces(value, indent, 0):
        pending.append(piece)
        size += len(piece)
        if size >= chunk:
            yield "".join(pending)
            pending.clear()
            size = 0
    if pending:
        yield "".join(pending)


def _pieces(value: Any, indent: int | None, level: int) -> Iterator[str]:
    """The text of ``value`` at nesting ``level``: whole with ``json.dumps`` unless a lazy
    array is inside (then member by member, with the separators ``json.dumps`` uses)."""
    if type(value) is dict and indent is not None and _all_strings(value):
        # A finding: a flat object of strings, thousands of them in a report. json.dumps with
        # an indent runs its pure-Python encoder; here only the strings are encoded (by the C
        # function json.dumps itself uses), with the same layout.
        yield _string_object(value, indent, level)
    elif isinstance(value, LazyArray):
        yield from _array(value.items, indent, level)
    elif isinstance(value, dict) and _has_lazy(value):
        yield from _object(value, indent, level)
    elif isinstance(value, list) and _has_lazy(value):
        yield from _array(value, indent, level)
    else:
        yield _dumps(value, indent, level)


def _object(value: dict[Any, Any], indent: int | None, level: int) -> Iterator[str]:
    if not value:
        yield "{}"
        return
    opening, separator, closing = _layout(indent, level)
    first = True
    for key, item in value.items():
        yield (("{" + opening) if first else separator) + _key(key) + ": "
        first = False
        yield from _pieces(item, indent, level + 1)
    yield closing + "}"


def _array(items: Iterable[Any], indent: int | None, level: int) -> Iterator[str]:
    opening, separator, closing = _layout(indent, level)
    first = True
    for item in items:
        yield ("[" + opening) if first else separator
        first = False
        yield from _pieces(item, indent, level + 1)
    yield "[]" if first else closing + "]"


def _layout(indent: int | None, level: int) -> tuple[str, str, str]:
    """What ``json.dumps`` writes after an opening bracket, between items, before the closing
    one: with ``indent``, a new line indented one level deeper (the last one as deep as the
    bracket); without, ``", "`` between items."""
    if indent is None:
        return "", ", ", ""
    inner = "\n" + " " * (indent * (level + 1))
    return inner, "," + inner, "\n" + " " * (indent * level)


def _all_strings(value: dict[Any, Any]) -> bool:
    """Whether every key and every value of ``value`` is a ``str`` (not a subclass: json.dumps
    may write those differently)."""
    return (all(type(key) is str for key in value)
            and all(type(item) is str for item in value.values()))


def _string_object(value: dict[str, str], indent: int, level: int) -> str:
    """``_dumps(value, indent, level)`` of a dict of strings (:func:`_all_strings`)."""
    if not value:
        return "{}"
    opening, separator, closing = _layout(indent, level)
    encode = _encode_string
    return ("{" + opening
            + separator.join([encode(key) + ": " + encode(item) for key, item in value.items()])
            + closing + "}")


#: What json.dumps writes for a string (ensure_ascii, its default): the C function when the
#: interpreter has it.
_encode_string = json.encoder.encode_basestring_ascii


def _dumps(value: Any, indent: int | None, level: int) -> str:
    text = json.dumps(value, indent=indent)
    if indent is None or level == 0:
        return text
    # json.dumps never writes a raw line break inside a string (it escapes them), so every
    # "\n" is one of its own indentations: shift them to this depth.
    return text.replace("\n", "\n" + " " * (indent * level))


def _key(key: Any) -> str:
    if isinstance(key, str):
        return json.dumps(key)
    # json.dumps turns the few non-string keys it accepts (numbers, booleans, None) into
    # strings its own way: let it.
    return json.dumps({key: None})[1:].rsplit(":", 1)[0]


def _has_lazy(value: Any) -> bool:
    if isinstance(value, LazyArray):
        return True
    if isinstance(value, dict):
        return any(_has_lazy(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_lazy(item) for item in value)
    return False
