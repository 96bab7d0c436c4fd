"""Rules on bioformats2raw collections: the series list, numbered images and OME-XML.

A group with ``bioformats2raw.layout`` wraps a collection of images converted from one
fileset. The images are found through the ``series`` list of the ``OME`` group, or without it
in the groups ``0``, ``1``, ... (or, for a plate, at the plate's locations), and the file
``OME/METADATA.ome.xml`` describes the same images, one OME-XML ``Image`` per image group in
the same order. The walk gathers all of that into a :class:`Bioformats2rawContext`.

The OME-XML is parsed here, once per document (:func:`read_ome_xml`), with xmlschema's
defused parser (no DTDs, no entities, no external resources) and validated against the OME
2016-06 XML Schema shipped with ome-types. Both imports are deferred to the first OME-XML
seen: most datasets have none.
"""

from __future__ import annotations

import functools
import importlib.resources
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from validator.model import Severity, join_node
from validator.rules.context import Bioformats2rawContext, DocContext, ImageSummary
from validator.rules.registry import Subject, Violation, rule

XML_NAME = "OME/METADATA.ome.xml"
XML_FILE = "METADATA.ome.xml"  # the document, relative to the OME group
OME_NS_BASE = "http://www.openmicroscopy.org/Schemas/OME/"
OME_2016_06 = OME_NS_BASE + "2016-06"
#: How many schema errors, or offending Image IDs, a message quotes before counting the rest.
MAX_QUOTED = 10
#: Larger OME-XML documents are not validated against the XML Schema: xmlschema (pure Python)
#: takes about 1.5 s per MiB, and a check must not hold the walk's event loop for long. Their
#: structure (root, Images, MetadataOnly) is still checked; an info finding says so.
XSD_MAX_BYTES = 2 * 1024 * 1024
# Elements that carry pixel data in OME-XML; bioformats2raw keeps pixels in Zarr arrays.
_PIXEL_DATA = ("BinData", "TiffData")


# -- reading the OME-XML --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class XmlImage:
    """One ``Image`` element: its ID and the pixel-data elements of its ``Pixels``."""

    id: str
    pixel_data: tuple[str, ...]  # local names of BinData/TiffData children, in order
    metadata_only: bool


@dataclass(frozen=True, slots=True)
class OmeXml:
    """What the rules need from ``OME/METADATA.ome.xml``.

    ``problem`` says why the document is not OME-XML at all (not well-formed, refused, wrong
    root element); then nothing else is known. ``schema_errors`` holds the first
    :data:`MAX_QUOTED` XML Schema errors and ``schema_error_count`` all of them; documents in
    an OME namespace other than 2016-06, or larger than :data:`XSD_MAX_BYTES`, are not
    validated (``schema_checked`` is false).
    """

    problem: str | None = None
    namespace: str = ""
    images: tuple[XmlImage, ...] = ()
    binary_only: bool = False
    schema_checked: bool = False
    size: int = 0
    schema_errors: tuple[str, ...] = ()
    schema_error_count: int = 0


@functools.cache
def _ome_schema() -> Any:
    import xmlschema

    xsd = importlib.resources.files("ome_types").joinpath("ome-2016-06.xsd")
    with importlib.resources.as_file(xsd) as path:
        # "sandbox": the schema may read files next to itself only; xmlschema resolves the
        # xml.xsd import from its own copy, so building it never touches the network.
        return xmlschema.XMLSchema(str(path), allow="sandbox", defuse="always")


@functools.lru_cache(maxsize=2)
def read_ome_xml(data: bytes) -> OmeXml:
    """Parse and validate an OME-XML document (cached: several rules read the same one)."""
    import xmlschema
    from xmlschema.exceptions import (
        XMLResourceForbidden,
        XMLResourceParseError,
        XMLSchemaException,
    )

    try:
        # defuse="always": entity declarations and external references raise instead of
        # being expanded or fetched (billion laughs, XXE); allow="none": nothing else is read.
        resource = xmlschema.XMLResource(io.BytesIO(data), defuse="always", allow="none")
    except XMLResourceForbidden as exc:
        return OmeXml(problem=f"refused to parse it ({exc}); DTDs and entities are not "
                      "accepted in OME-XML here")
    except (XMLResourceParseError, ValueError, SyntaxError) as exc:
        return OmeXml(problem=f"it is not well-formed XML ({_one_line(str(exc))})")
    except XMLSchemaException as exc:  # e.g. nested deeper than xmlschema's limit
        return OmeXml(problem=f"it could not be read ({_one_line(str(exc))})")
    root = resource.root
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else (
        "", "", root.tag)
    if local != "OME" or not namespace.startswith(OME_NS_BASE):
        return OmeXml(problem=f"its root element is {root.tag!r}, not OME in an OME-XML "
                      f"namespace ({OME_2016_06})")
    ns = "{" + namespace + "}"
    images = tuple(_xml_image(image, ns, i) for i, image in enumerate(root.iterfind(ns + "Image")))
    found = OmeXml(namespace=namespace, images=images,
                   binary_only=root.find(ns + "BinaryOnly") is not None, size=len(data))
    if namespace != OME_2016_06 or len(data) > XSD_MAX_BYTES:
        return found
    errors: list[str] = []
    count = 0
    try:
        for error in _ome_schema().iter_errors(resource, use_location_hints=False):
            count += 1
            if len(errors) < MAX_QUOTED:
                errors.append(_schema_error(error))
    except RecursionError:
        return OmeXml(problem="its elements are nested too deeply to be validated")
    return OmeXml(namespace=namespace, images=images, binary_only=found.binary_only,
                  schema_checked=True, size=len(data), schema_errors=tuple(errors),
                  schema_error_count=count)


def _xml_image(image: Any, ns: str, index: int) -> XmlImage:
    pixels = image.find(ns + "Pixels")
    children = [] if pixels is None else [child.tag for child in pixels]
    return XmlImage(
        id=str(image.get("ID") or f"#{index}"),
        pixel_data=tuple(name for tag in children for name in _PIXEL_DATA if tag == ns + name),
        metadata_only=ns + "MetadataOnly" in children,
    )


def _schema_error(error: Any) -> str:
    line = getattr(error, "sourceline", None)
    where = f"line {line}" if line else str(getattr(error, "path", "") or "")
    reason = getattr(error, "reason", None) or getattr(error, "message", "") or str(error)
    return f"{where}: {_one_line(str(reason))}" if where else _one_line(str(reason))


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parsed(ctx: Bioformats2rawContext) -> OmeXml | None:
    return read_ome_xml(ctx.ome_xml) if ctx.ome_xml is not None else None


# -- helpers -----------------------------------------------------------------------------


def _key(path: str) -> str:
    # The walk keys children by their path without a trailing slash.
    return path.strip("/") if path.endswith("/") else path


def _series_list(ctx: Bioformats2rawContext) -> list[Any] | None:
    series = ctx.series.get("series") if ctx.series is not None else None
    return series if isinstance(series, list) else None


def _ome_node(ctx: Bioformats2rawContext) -> str:
    return join_node(ctx.node, "OME")


def _quote(items: Sequence[str]) -> str:
    shown = ", ".join(repr(i) for i in items[:MAX_QUOTED])
    more = len(items) - MAX_QUOTED
    return shown + (f" and {more} more" if more > 0 else "")


# -- the OME-XML file ----------------------------------------------------------------------


@rule(
    "bf2raw.ome-xml.present",
    severity=Severity.WARNING,
    subject=Subject.BIOFORMATS2RAW_NODE,
    anchor="bf2raw",
    summary="A bioformats2raw collection has OME metadata in OME/METADATA.ome.xml.",
    versions=("0.4", "0.5", "0.6"),
)
def ome_xml_present(ctx: Bioformats2rawContext) -> Iterator[Violation]:
    """Conforming groups: SHOULD have OME metadata representing the entire collection of
    images in a file named "OME/METADATA.ome.xml"."""
    if ctx.ome_xml is None and not ctx.ome_xml_unreadable:
        yield Violation(f"there is no {XML_NAME} describing the images of the collection",
                        node=_ome_node(ctx), document=XML_FILE)


@rule(
    "bf2raw.ome-xml.valid",
    severity=Severity.ERROR,
    subject=Subject.BIOFORMATS2RAW_NODE,
    anchor="bf2raw",
    summary="OME/METADATA.ome.xml is well-formed OME-XML, valid against the OME XML Schema.",
    versions=("0.4", "0.5", "0.6"),
)
def ome_xml_valid(ctx: Bioformats2rawContext) -> Iterator[Violation]:
    """"OME/METADATA.ome.xml" MUST adhere to the OME-XML specification.

    Checked: well-formed XML whose root is ``OME`` in an OME-XML namespace and, for the
    current namespace (2016-06, what bioformats2raw writes), valid against the OME XML
    Schema. Documents with a DTD or entity declarations are refused (reported here): the
    OME-XML Schema needs neither and expanding them is a denial-of-service risk. Documents
    not validated against the XML Schema (another OME namespace, or more than
    ``XSD_MAX_BYTES``) get an info finding saying so.
    """
    parsed = _parsed(ctx)
    if parsed is None:
        return
    if parsed.problem is not None:
        yield Violation(f"{XML_NAME} is not OME-XML: {parsed.problem}",
                        node=_ome_node(ctx), document=XML_FILE)
        return
    if not parsed.schema_checked:
        if parsed.namespace != OME_2016_06:
            why = f"its namespace {parsed.namespace} is not the current one, {OME_2016_06}"
        else:
            why = (f"it is {parsed.size / 2**20:.1f} MiB, more than the "
                   f"{XSD_MAX_BYTES // 2**20} MiB validated here")
        yield Violation(f"{XML_NAME} was not validated against the OME XML Schema: {why}; "
                        "only its structure was checked", severity=Severity.INFO,
                        node=_ome_node(ctx), document=XML_FILE)
        return
    if parsed.schema_error_count:
        more = parsed.schema_error_count - len(parsed.schema_errors)
        detail = "; ".join(parsed.schema_errors) + (f"; and {more} more" if more > 0 else "")
        yield Violation(
            f"{XML_NAME} is not valid against the OME {OME_2016_06.rsplit('/', 1)[-1]} XML "
            f"Schema ({parsed.schema_error_count} errors): {detail}",
            node=_ome_node(ctx), document=XML_FILE,
        )


@rule(
    "bf2raw.ome-xml.metadata-only",
    severity=Severity.ERROR,
    subject=Subject.BIOFORMATS2RAW_NODE,
    anchor="bf2raw",
    summary="OME/METADATA.ome.xml uses <MetadataOnly/>, never <BinData/>, <BinaryOnly/> or "
    "<TiffData/>.",
    versions=("0.4", "0.5", "0.6"),
)
def ome_xml_metadata_only(ctx: Bioformats2rawContext) -> Iterator[Violation]:
    """"OME/METADATA.ome.xml" MUST use `<MetadataOnly/>` elements as opposed to
    `<BinData/>`, `<BinaryOnly/>` or `<TiffData/>`.

    Checked on every ``Image``'s ``Pixels`` (which must hold ``MetadataOnly`` and no
    ``BinData``/``TiffData``) and on the document (no ``BinaryOnly``). ``BinData`` elsewhere
    (mask ROIs) is not pixel data and is allowed.
    """
    parsed = _parsed(ctx)
    if parsed is None or parsed.problem is not None:
        return
    if parsed.binary_only:
        yield Violation(f"{XML_NAME} has a <BinaryOnly/> element; the pixels are in the Zarr "
                        "arrays, so it must use <MetadataOnly/> in each Image's Pixels",
                        node=_ome_node(ctx), document=XML_FILE)
    offending = [
        f"{image.id} ({', '.join(f'<{n}/>' for n in dict.fromkeys(image.pixel_data))})"
        if image.pixel_data else f"{image.id} (no <MetadataOnly/>)"
        for image in parsed.images
        if image.pixel_data or not image.metadata_only
    ]
    if offending:
        shown = ", ".join(offending[:MAX_QUOTED])
        more = len(offending) - MAX_QUOTED
        yield Violation(
            f"{len(offending)} of {len(parsed.images)} Images in {XML_NAME} do not use "
            f"<MetadataOnly/> in their Pixels: {shown}" + (f" and {more} more" if more > 0
                                                            else ""),
            node=_ome_node(ctx), document=XML_FILE,
        )


@rule(
    "bf2raw.ome-xml.image-count",
    severity=Severity.ERROR,
    subject=Subject.BIOFORMATS2RAW_NODE,
    anchor="bf2raw",
    summary="The collection has exactly one image group per OME-XML Image.",
    versions=("0.4", "0.5", "0.6"),
)
def ome_xml_image_count(ctx: Bioformats2rawContext) -> Iterator[Violation]:
    """Every "multiscales" group MUST represent exactly one OME-XML "Image" in the same order
    as either the series index or the group numbers.

    The images counted are the entries of "series" when the OME group has that list, else
    the fields of the plate, else the consecutive groups 0, 1, ... The order itself cannot be
    checked: nothing in the Zarr metadata names the OME-XML Image an image group represents.
    """
    parsed = _parsed(ctx)
    if parsed is None or parsed.problem is not None:
        return
    expected = len(parsed.images)
    series = _series_list(ctx)
    if series is not None:
        if len(series) != expected:
            yield Violation(
                f"\"series\" lists {len(series)} images but {XML_NAME} has {expected} Image "
                "elements; each series entry must represent exactly one Image, in order",
                ("series",), node=_ome_node(ctx))
        return
    if ctx.series is not None and "series" in ctx.series:
        return  # "series" is not a list: the schema reports it; nothing to count
    if "plate" in ctx.ome:
        found = len(ctx.plate_images)
        what = f"the plate's wells list {found} field images"
    else:
        found = len(ctx.images)
        what = (f"the collection has {found} numbered groups (0 to {found - 1})" if found
                else "the collection has no image group '0'")
    if found != expected:
        yield Violation(f"{what} but {XML_NAME} has {expected} Image elements; every "
                        "multiscales group must represent exactly one Image")


# -- where the images are --------------------------------------------------------------------


@rule(
    "bf2raw.images.consecutive",
    severity=Severity.ERROR,
    subject=Subject.BIOFORMATS2RAW_NODE,
    anchor="bf2raw",
    summary="Without series and plate, the images are multiscales groups 0, 1, 2, ...",
    versions=("0.4", "0.5", "0.6"),
)
def images_consecutive(ctx: Bioformats2rawContext) -> Iterator[Violation]:
    """If the "series" attribute does not exist and no "plate" is present: separate
    "multiscales" images MUST be stored in consecutively numbered groups starting from 0
    (i.e. "0/", "1/", "2/", "3/", ...).

    The groups are looked for in order until one is missing (directories are never listed,
    so a gap ends the collection). Reported: no group "0" at all, and every numbered group
    before the gap that is not a multiscales image.
    """
    if "plate" in ctx.ome or (ctx.series is not None and "series" in ctx.series):
        return
    if not ctx.images:
        yield Violation("there is no \"series\" list and no group '0': the images of a "
                        "bioformats2raw collection must be in groups 0, 1, 2, ...")
        return
    for name, summary in ctx.images.items():
        if summary.exists and summary.readable and not summary.is_image:
            kind = "a group without \"multiscales\"" if summary.is_group else "not a group"
            yield Violation(
                f"{name!r} is {kind}; without \"series\", the numbered groups of a "
                "bioformats2raw collection must be multiscales images",
                node=summary.node,
            )


@rule(
    "series.images.exist",
    severity=Severity.ERROR,
    subject=Subject.BIOFORMATS2RAW_NODE,
    anchor="bf2raw",
    summary="Every path in the OME group's \"series\" names a multiscales image group.",
    versions=("0.4", "0.5", "0.6"),
)
def series_images_exist(ctx: Bioformats2rawContext) -> Iterator[Violation]:
    """"series" MUST be a list of string objects, each of which is a path to an image group.

    Paths are relative to the bioformats2raw group. With a plate, entries naming one of the
    plate's fields are checked as the plate's (well.images.exist), not here.
    """
    series = _series_list(ctx)
    if series is None:
        return
    for i, path in enumerate(series):
        summary: ImageSummary | None = ctx.images.get(_key(path)) if isinstance(
            path, str) else None
        if summary is None:
            continue  # not a string, unsafe (reported by the walk), or a plate field
        if not summary.exists:
            message = f"series entry {path!r} names no group"
        elif summary.readable and not summary.is_image:
            message = f"series entry {path!r} is not an image group (no \"multiscales\")"
        else:
            continue
        yield Violation(message, ("series", i), node=_ome_node(ctx))


@rule(
    "bf2raw.plate.series",
    severity=Severity.WARNING,
    subject=Subject.BIOFORMATS2RAW_NODE,
    anchor="bf2raw",
    summary="A bioformats2raw plate also lists its field images in the OME group's "
    "\"series\".",
    versions=("0.4", "0.5", "0.6"),
)
def plate_series(ctx: Bioformats2rawContext) -> Iterator[Violation]:
    """If "plate" metadata is present, images MUST be located at the defined location.
    Matching "series" metadata (as described next) SHOULD be provided for tools that are
    unaware of the "plate" specification.

    "Matching" is read as: the same set of image paths as the plate's wells list (the order
    of "series" follows the OME-XML, not the plate). The MUST (fields where the plate and
    wells say) is the plate and well rules' business.
    """
    if "plate" not in ctx.ome:
        return
    series = _series_list(ctx)
    if series is None:
        if ctx.series is None or "series" not in ctx.series:
            yield Violation("the collection is a plate but the OME group has no \"series\" "
                            "list of its field images, for tools unaware of plates",
                            ("plate",))
        return
    fields = set(ctx.plate_images)
    listed: set[str] = set()
    for i, path in enumerate(series):
        if not isinstance(path, str):
            continue
        listed.add(_key(path))
        if _key(path) not in fields:
            yield Violation(f"series entry {path!r} is not a field image of the plate",
                            ("series", i), node=_ome_node(ctx))
    missing = [p for p in ctx.plate_images if p not in listed]
    if missing:
        yield Violation(f"\"series\" does not list the plate's field images {_quote(missing)}",
                        ("series",), node=_ome_node(ctx))



@rule(
    "series.paths.unique",
    severity=Severity.ERROR,
    subject=Subject.SERIES,
    anchor="bf2raw",
    summary="No image group is listed twice in the OME group's \"series\".",
    versions=("0.4", "0.5", "0.6"),
)
def series_paths_unique(series: Any, ctx: DocContext) -> Iterator[Violation]:
    """Every "multiscales" group MUST represent exactly one OME-XML "Image" in the same order
    as either the series index or the group numbers.

    A group listed twice in "series" would represent two Images. Paths are compared as the
    walk resolves them (a trailing slash names the same group)."""
    if not isinstance(series, list):
        return
    first: dict[str, int] = {}
    for i, path in enumerate(series):
        if not isinstance(path, str):
            continue
        key = _key(path)
        if key in first:
            yield Violation(f"series entry {path!r} names the same group as series[{first[key]}]",
                            (i,))
        else:
            first[key] = i
