"""What checks receive: small, immutable views of the documents a walk fetched.

Parents keep *summaries* of their children (a few fields), never the children's documents, so
that memory does not grow with the size of a valid hierarchy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class DocContext:
    """Context of a document rule: the version in force and the whole OME metadata object."""

    version: str
    ome: Mapping[str, Any]
    #: For messages of the caller only: a document rule must not depend on it (the walk
    #: memoizes the checks of identical documents, see :mod:`validator.walk.memo`).
    node: str = ""


@dataclass(frozen=True, slots=True)
class ArrayInfo:
    """The parts of a Zarr array's metadata (v2 ``.zarray`` or v3 ``zarr.json``) rules need.

    ``dtype`` is normalised to a NumPy-style name (``"uint8"``, ``"int32"``, ``"float32"``,
    ``"bool"``, ...) when the data type is known, else ``None``; ``raw_dtype`` keeps what the
    document says.
    """

    node: str
    zarr_format: int
    shape: tuple[int, ...] | None
    chunks: tuple[int, ...] | None
    dtype: str | None
    raw_dtype: Any
    dimension_names: tuple[str | None, ...] | None = None
    dimension_separator: str | None = None

    @property
    def ndim(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    @property
    def is_integer(self) -> bool:
        return self.dtype is not None and (
            self.dtype.startswith("int") or self.dtype.startswith("uint")
        )


#: A coordinate system as a parent's checks see it: per axis, its ``type`` and ``discrete``
#: values as written (``None`` when absent or not a string / boolean).
AxisKinds = tuple[tuple[str | None, bool | None], ...]


@dataclass(frozen=True, slots=True)
class ImageSummary:
    """A child group as its parent's checks see it.

    ``is_label``: the group has ``image-label`` metadata (not merely listed by a labels
    group). ``shape``: the shape of the array of the first dataset of the first multiscale
    (``None`` when unknown). ``label_source``: ``image-label.source.image`` as written, when
    it is a string.
    """

    node: str
    exists: bool
    #: False when the group's metadata exists but could not be read or parsed (already a
    #: finding of its own): checks of the parent then say nothing more about it.
    readable: bool = True
    is_group: bool = False
    is_image: bool = False
    is_label: bool = False
    version: str | None = None
    datasets: int = 0
    ndim: int | None = None
    axes: tuple[str, ...] = ()
    shape: tuple[int, ...] | None = None
    label_source: str | None = None
    #: 0.6: the coordinate systems of every multiscale (first of a repeated name wins), the
    #: intrinsic one (the output of the first dataset transformation) and the links its own
    #: ``coordinateTransformations`` make between its systems (pairs of names; a system of
    #: another group is ``"<path>#<name>"``).
    systems: Mapping[str, AxisKinds] = field(default_factory=dict)
    intrinsic: str | None = None
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class WellSummary:
    """A well group as the plate's checks see it."""

    node: str
    exists: bool
    readable: bool = True
    is_well: bool = False
    images: tuple[str, ...] = ()
    acquisitions: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class ArrayContext:
    """Context of an ``ARRAY_NODE`` rule: one array's metadata document, raw and parsed.

    The rules must depend on the document, the version and the Zarr format only, not on
    ``node`` (nor ``array.node``), and yield no violation about another node: the walk
    memoizes their outcomes by the document's content (:mod:`validator.walk.memo`)."""

    node: str
    version: str
    zarr_format: int
    document: Mapping[str, Any]
    array: ArrayInfo


@dataclass(frozen=True, slots=True)
class ImageContext:
    """Context of an ``IMAGE_NODE`` rule.

    ``arrays`` maps each dataset path named by any multiscale (as written in the metadata) to
    the array found there, or ``None`` when nothing (or a group) is there. Paths that escape
    the dataset are not fetched and are absent from the mapping.
    """

    node: str
    version: str
    ome: Mapping[str, Any]
    arrays: Mapping[str, ArrayInfo | None] = field(default_factory=dict)
    labels: ImageSummary | None = None


@dataclass(frozen=True, slots=True)
class LabelsContext:
    """Context of a ``LABELS_NODE`` rule: the ``labels`` group, its parent image, its labels."""

    node: str
    version: str
    ome: Mapping[str, Any]
    parent: ImageSummary | None
    labels: Mapping[str, ImageSummary] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlateContext:
    """Context of a ``PLATE_NODE`` rule: the plate and a summary of every well it lists.

    ``complete`` is false when the walk checked only a sample of the wells (``--sample-wells``):
    ``wells`` then holds the sampled ones, and nothing may be concluded from the others.
    """

    node: str
    version: str
    ome: Mapping[str, Any]
    wells: Mapping[str, WellSummary] = field(default_factory=dict)
    complete: bool = True
    #: For each row (first segment of the visited wells' paths): whether a Zarr group is there.
    row_groups: Mapping[str, bool] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WellContext:
    """Context of a ``WELL_NODE`` rule: the well, its plate (when reached from one), its fields."""

    node: str
    version: str
    ome: Mapping[str, Any]
    plate: Mapping[str, Any] | None
    fields: Mapping[str, ImageSummary] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Bioformats2rawContext:
    """Context of a ``BIOFORMATS2RAW_NODE`` rule.

    ``series`` is the OME metadata of the ``OME`` group (``None`` when there is none);
    ``ome_xml`` the bytes of ``OME/METADATA.ome.xml`` (``None`` when absent, or when it could
    not be read: then ``ome_xml_unreadable`` is set and the walk has reported why); ``images``
    the summaries of the image groups found (by path, relative to the bioformats2raw group):
    those the series lists, or without series and plate the groups ``0``, ``1``, ... up to the
    first one missing. With a plate, the fields are walked as the plate's, not again as series
    entries: ``plate_images`` lists them (``<well path>/<field path>``, in plate then well
    order, for the wells that exist) and ``images`` holds only series entries outside it.
    """

    node: str
    version: str
    ome: Mapping[str, Any]
    series: Mapping[str, Any] | None
    ome_xml: bytes | None
    images: Mapping[str, ImageSummary] = field(default_factory=dict)
    plate_images: tuple[str, ...] = ()
    ome_xml_unreadable: bool = False


@dataclass(frozen=True, slots=True)
class LinksContext:
    """Context of a ``LINKS_NODE`` rule (0.6): what the transformations of one group name in
    other groups. ``kind`` is ``"image"`` (an image's transformations) or ``"scene"``.

    All paths are as written in the metadata and relative to this group. ``arrays``: the
    parameter arrays named by a transformation's ``path`` (``None``: no array there);
    ``fields``: the groups named by a ``coordinates``/``displacements`` transformation's
    ``path``; ``targets``: the groups named by an ``input``/``output`` ``path`` (an image's
    label images; a scene's images). Paths that escape the dataset are not followed and are
    absent.
    """

    node: str
    version: str
    kind: str
    ome: Mapping[str, Any]
    arrays: Mapping[str, ArrayInfo | None] = field(default_factory=dict)
    fields: Mapping[str, ImageSummary] = field(default_factory=dict)
    targets: Mapping[str, ImageSummary] = field(default_factory=dict)
