"""The NGFF releases this validator knows: one record per release, the one place that says so.

Everything that depends on the version reads this module: the options and the CLI's
``--ngff-version`` choices, the API's enum and ``/v1/versions`` (and so the page's selector),
the schemas (which folder, which kinds), document checking (where the OME metadata lives), the
rule registry (spec links, which versions a Zarr-format rule applies to) and the walk (which
Zarr format to read, how to read an undeclared version). Adding a release is a record here,
its schemas and its rules.

A release is :attr:`SpecVersion.supported` once its schemas and rules are in: a known but
unsupported release is refused like an unknown one, never half-checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

SPEC_SITE = "https://ngff.openmicroscopy.org"

#: The OME metadata keys of a 0.4/0.5 group (in the order documents are checked) and the schema
#: kind (file stem in ``schemas/<version>/``) that validates each one.
_CLASSIC_KINDS: Mapping[str, str] = {
    "multiscales": "image",
    "omero": "omero",
    "labels": "labels",
    "image-label": "label",
    "plate": "plate",
    "well": "well",
    "bioformats2raw.layout": "bf2raw",
    "series": "series",
}


@dataclass(frozen=True, slots=True)
class SpecVersion:
    """One NGFF release.

    ``tags``: the version strings a document may declare for it (the first is its id).
    ``zarr_format``: the Zarr format its hierarchies are stored in. ``ome_key``: where the OME
    metadata lives in a group's attributes (``None``: the keys are at the root of ``.zattrs``;
    ``"ome"``: under ``attributes.ome`` of ``zarr.json``). ``kinds``: the OME metadata keys it
    defines and the schema kind of each; ``envelope``: the schema of the ``ome`` object itself.
    ``anchors``: this release's spec anchors where they differ from the canonical (newest
    0.4/0.5) names rules use.
    """

    id: str
    tags: tuple[str, ...]
    zarr_format: int
    ome_key: str | None
    kinds: Mapping[str, str]
    envelope: str | None = None
    supported: bool = True
    anchors: Mapping[str, str] = field(default_factory=dict)
    #: Pre-release tags (``0.6.dev3``) read as this release, with a warning naming the tag.
    dev_tags: re.Pattern[str] | None = None
    #: RFC-5 coordinate systems and transformations (0.6): transformations name the systems
    #: they link, possibly in other groups (``input``/``output`` ``path``), and may keep their
    #: parameters in arrays or fields named by ``path``: the walk reads those too.
    linked_transformations: bool = False

    @property
    def spec_base(self) -> str:
        return f"{SPEC_SITE}/{self.id}/"

    def spec_url(self, anchor: str) -> str:
        """The link to a section of this release's specification."""
        return f"{self.spec_base}#{self.anchors.get(anchor, anchor)}"

    @property
    def ome_prefix(self) -> tuple[str, ...]:
        """JSON tokens from the attributes object to the OME metadata object."""
        return () if self.ome_key is None else (self.ome_key,)

    @property
    def schema_kinds(self) -> tuple[str, ...]:
        """Every schema kind of this release (the envelope last)."""
        kinds = tuple(dict.fromkeys(self.kinds.values()))
        return (*kinds, self.envelope) if self.envelope else kinds


#: Every release known, oldest first.
RELEASES: tuple[SpecVersion, ...] = (
    SpecVersion(
        id="0.4", tags=("0.4",), zarr_format=2, ome_key=None, kinds=_CLASSIC_KINDS,
    ),
    SpecVersion(
        id="0.5", tags=("0.5",), zarr_format=3, ome_key="ome", kinds=_CLASSIC_KINDS,
        envelope="ome",
    ),
    SpecVersion(
        # The released schema accepts "0.6" and "0.6rc0" (ngff-spec PR #186); 0.6.devN tags
        # are in public test data: read as 0.6 with a warning (rule ome.version.pre-release).
        id="0.6", tags=("0.6", "0.6rc0"), zarr_format=3, ome_key="ome",
        kinds={**_CLASSIC_KINDS, "scene": "scene"}, envelope="ome",
        anchors={"multiscale-md": "multiscales-md"},
        dev_tags=re.compile(r"^0\.6\.dev[0-9]+$"),
        linked_transformations=True,
    ),
)

_BY_ID = {v.id: v for v in RELEASES}


def supported() -> tuple[SpecVersion, ...]:
    """The releases this validator checks, oldest first."""
    return tuple(v for v in RELEASES if v.supported)


def ids() -> tuple[str, ...]:
    """The ids of the supported releases (the choices of ``--ngff-version``), oldest first."""
    return tuple(v.id for v in supported())


def get(version_id: str) -> SpecVersion:
    """The record of a release by id (supported or not); ``KeyError`` for an unknown one."""
    return _BY_ID[version_id]


def find(version_id: str) -> SpecVersion | None:
    """The record of a *supported* release by id, or ``None``."""
    record = _BY_ID.get(version_id)
    return record if record is not None and record.supported else None


def resolve(tag: str) -> tuple[SpecVersion | None, bool]:
    """``(release, pre_release)`` of a declared version string.

    ``release`` is the supported release the tag stands for (``None``: not one we check);
    ``pre_release`` is true for a development tag read as its release.
    """
    for record in supported():
        if tag in record.tags:
            return record, False
        if record.dev_tags is not None and record.dev_tags.match(tag):
            return record, True
    return None, False


def with_zarr_format(zarr_format: int) -> tuple[str, ...]:
    """The supported releases stored in ``zarr_format`` (for rules about a Zarr format)."""
    return tuple(v.id for v in supported() if v.zarr_format == zarr_format)


def undeclared(zarr_format: int) -> SpecVersion:
    """How a hierarchy in ``zarr_format`` that declares no version is read: as the oldest
    supported release stored in that format (the schemas then report the missing version)."""
    return next(v for v in supported() if v.zarr_format == zarr_format)


def newest(version_ids: tuple[str, ...] | frozenset[str]) -> str:
    """The newest release among ``version_ids`` (registry order, not string order)."""
    order = {v.id: i for i, v in enumerate(RELEASES)}
    return max(version_ids, key=lambda v: order.get(v, -1))


def listing(conjunction: str = "and") -> str:
    """The supported ids in words: ``"0.4 and 0.5"``."""
    names = ids()
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"
