"""Memoized document checks: a walk checks each distinct metadata document once.

Most documents of a plate are identical: every well's ``zarr.json`` lists the same fields,
every field image has the same multiscales, every array of a level has the same metadata (a
384-well plate: 2,705 documents, 6 distinct). The schema and rule checks of one document are
a pure function of its content and of a little context (the version checked, the array's Zarr
format): the node's path only goes into the findings afterwards. So a walk keeps, per content,
what those checks found -- relative to the document (:class:`~validator.document.Issue` paths,
node rules' :class:`~validator.rules.Violation` paths) -- and attaches it to each node that
has that content, as the checks would have.

What is memoized (and nothing else):

* :func:`~validator.document.check_attributes` of a group (the walk's ``check_group``);
* the ``ARRAY_NODE`` rules of an array (``check_array``): they read the array's own document
  and the version only.

Rules that look at other nodes (an image's arrays, a plate's wells) are not: their result
depends on more than the document.

The key is a hash of the *parsed* content (``marshal`` version 2 of the JSON value: lossless,
so injective, and as cheap as hashing the raw bytes; it keeps key order, types and every
float bit) and the context. The parsed value is exactly what the checks receive, and it exists
for documents taken from consolidated metadata too, which have no bytes of their own.

Results are not memoized when they depend on more than the content: a crashed check (the crash
may be transient; it is logged each time) or a node rule's violation about another node
(located through the walk's state). Bounded: at most :data:`MAX_WEIGHT` entries plus findings
held (least recently used out first), and content larger than :data:`MAX_CONTENT` is not
memoized (such documents are rare and checked off the event loop anyway). One memo per walk:
walks (a service's jobs) never share one.

Where documents of a kind are all different (some writers put each field's position or
channel windows in its image metadata) a key costs a few microseconds for nothing, and the
results held make the garbage collector's passes longer (measured: up to +10 % CPU on a plate
of only distinct documents). So each kind of document (arrays; groups by their OME keys) is
memoized only while it pays: after :data:`PROBE` lookups of a kind with fewer than one hit in
:data:`MIN_HIT_RATE`, that kind is just checked for the rest of the walk.
"""

from __future__ import annotations

import collections
import hashlib
import marshal
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from validator.document import OME_KEYS, Issue
from validator.rules import Violation
from validator.walk.findings import RuleOutcome

T = TypeVar("T")

#: Switch for tests and A/B measurements: a walk created while this is false memoizes nothing.
ENABLED = True
#: The memo's size: one unit per document remembered plus one per finding it holds (a unit is
#: about 500 bytes: messages quote values shortened; about 4 MiB at most). A plate's distinct
#: documents are a handful, with a few findings each: far below it.
MAX_WEIGHT = 8192
#: Content serialising (marshal) to more than this many bytes is checked, not memoized: about
#: a 128 KiB JSON document (documents of 64 KiB and more are checked off the event loop).
MAX_CONTENT = 64 * 1024
#: Lookups of a kind of document before the memo may give up on it...
PROBE = 32
#: ...when fewer than one in this many were hits (a hit saves ten times what a miss costs).
MIN_HIT_RATE = 8
# Version 2: no back-references (version 3+ marks objects by reference count, so equal values
# could serialise differently); strings as UTF-8, floats as their 8 bytes.
_MARSHAL_VERSION = 2


def content_key(context: Hashable, value: Any, limit: int = MAX_CONTENT) -> bytes | None:
    """A digest of ``context`` and of the JSON value ``value``; ``None`` when the value is
    not memoizable (larger than ``limit`` serialised, or not plain JSON types)."""
    try:
        content = marshal.dumps(value, _MARSHAL_VERSION)
    except ValueError:  # a type marshal does not know (a subclass), or nested too deep
        return None
    if len(content) > limit:
        return None
    digest = hashlib.blake2b(repr(context).encode(), digest_size=16)
    # repr() never holds a NUL: the separator makes (context, content) unambiguous.
    digest.update(b"\0")
    digest.update(content)
    return digest.digest()


class CheckMemo:
    """The memoized results of one walk's document checks (least recently used out first)."""

    def __init__(self, *, enabled: bool = True, max_weight: int = MAX_WEIGHT,
                 max_content: int = MAX_CONTENT) -> None:
        self.enabled = enabled
        self.max_weight = max_weight
        self.max_content = max_content
        self.hits = 0
        self.misses = 0
        self._entries: collections.OrderedDict[bytes, tuple[Any, ...]] = (
            collections.OrderedDict())
        self._weight = 0
        #: Per kind of document: [lookups, hits]; a kind given up on is in ``_unprofitable``.
        self._kinds: dict[Hashable, list[int]] = {}
        self._unprofitable: set[Hashable] = set()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def weight(self) -> int:
        return self._weight

    def gave_up(self, kind: Hashable) -> bool:
        """Whether documents of ``kind`` are no longer memoized (they were all different)."""
        return kind in self._unprofitable

    def memoized(self, context: Hashable, value: Any, compute: Callable[[], Sequence[T]],
                 keep: Callable[[T], bool], kind: Hashable = None) -> Sequence[T]:
        """``compute()``, the checks of ``value`` in ``context``, or what they gave for the
        same content before. The result is memoized only when ``keep`` holds for every item
        (an item that depends on more than the content must be computed each time). ``kind``:
        the kind of document, for giving up on a kind whose documents never repeat."""
        if not self.enabled or kind in self._unprofitable:
            return compute()
        key = content_key(context, value, self.max_content)
        if key is None:
            return compute()
        counts = self._kinds.setdefault(kind, [0, 0])
        counts[0] += 1
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            counts[1] += 1
            return found
        self.misses += 1
        if counts[0] >= PROBE and counts[1] * MIN_HIT_RATE < counts[0]:
            self._unprofitable.add(kind)
        result = tuple(compute())
        if all(keep(item) for item in result):
            self._store(key, result)
        return result

    def _store(self, key: bytes, result: tuple[Any, ...]) -> None:
        weight = 1 + len(result)
        if weight > self.max_weight:
            return
        self._entries[key] = result
        self._weight += weight
        while self._weight > self.max_weight:
            _, evicted = self._entries.popitem(last=False)
            self._weight -= 1 + len(evicted)

    # -- the two memoized checks ---------------------------------------------------------

    def attribute_issues(self, attributes: Mapping[str, Any], version: str,
                         check: Callable[[], Sequence[Issue]]) -> Sequence[Issue]:
        """The issues of a group's attributes checked against ``version``: ``check()``, which
        is :func:`~validator.document.check_attributes` (given the node's path too: that is
        no part of the key, document rules do not read it, see
        :class:`~validator.rules.DocContext`)."""
        return self.memoized(("attributes", version), attributes, check, _issue_keeps,
                             kind=_ome_keys(attributes))

    def array_outcomes(self, context: Hashable, document: Mapping[str, Any],
                       compute: Callable[[], Sequence[RuleOutcome]]) -> Sequence[RuleOutcome]:
        """The ``ARRAY_NODE`` rule outcomes of an array's document; ``context`` holds every
        other input of those rules (the version, the Zarr format, the document's name)."""
        return self.memoized(("array", context), document, compute, _outcome_keeps,
                             kind="array")


def _ome_keys(attributes: Mapping[str, Any]) -> tuple[str, ...]:
    """The kind of a group's document: the OME keys it holds (images, wells, plates...)."""
    ome = attributes.get("ome")
    keys = ome if isinstance(ome, Mapping) else attributes
    return tuple(key for key in keys if key in OME_KEYS)


def _issue_keeps(issue: Issue) -> bool:
    return issue.incomplete is None  # a crash: computed (and logged) each time


def _outcome_keeps(outcome: RuleOutcome) -> bool:
    _, result = outcome
    # A violation about another node is located through the walk's state, not the content.
    return isinstance(result, Violation) and result.node is None
