"""Rules on the metadata of the Zarr arrays of an image: ``.zarray`` (0.4) and ``zarr.json`` (0.5).

OME-Zarr stores its levels as Zarr arrays (NGFF 0.4: "Arrays MUST be defined and stored in a
hierarchical organization as defined by the version 2 of the Zarr specification"; 0.5: "OME-Zarr
is implemented using the Zarr format as defined by the version 3 of the Zarr specification").
An array document that breaks the Zarr specification cannot be read, so these rules check the
members readers rely on. Each rule checks one member and skips what another rule reports
(a missing member is ``array.metadata.required``'s; a wrong type of ``shape`` is
``array.shape.valid``'s, so ``array.chunks.ndim`` does not compare with it).

Paths are relative to the array's own document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, TypeGuard

from validator.model import Severity
from validator.rules.context import ArrayContext
from validator.rules.plate import is_int
from validator.rules.registry import Subject, Violation, rule

_V2_REQUIRED = ("zarr_format", "shape", "chunks", "dtype", "compressor", "fill_value", "order",
                "filters")
_V3_REQUIRED = ("zarr_format", "node_type", "shape", "data_type", "chunk_grid",
                "chunk_key_encoding", "fill_value", "codecs")
# A Zarr v2 simple data type: byte order, kind, size, and a unit for datetimes/timedeltas.
# Sizes are bounded: numbers count bytes (16 at most), strings and raw bytes count items.
_V2_TYPESTR = re.compile(
    r"^[<>|](?:[biufcmMO][0-9]{1,2}|[SUV][0-9]{1,10})(\[[A-Za-z0-9]{1,8}\])?$")
_V3_CORE = frozenset({
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
})
_V3_RAW = re.compile(r"^r([1-9][0-9]{0,8})$")  # bounded: int() of 5000 digits raises
_FLOAT_WORDS = frozenset({"NaN", "Infinity", "-Infinity"})
_HEX_FLOAT = re.compile(r"^0x[0-9a-fA-F]+$")


def _count(n: int) -> str:
    return f"{n} {'entry' if n == 1 else 'entries'}"


def _v2(ctx: ArrayContext) -> bool:
    return ctx.zarr_format == 2


def _v3(ctx: ArrayContext) -> bool:
    return ctx.zarr_format == 3


def _ints(value: Any, minimum: int) -> TypeGuard[list[int]]:
    return isinstance(value, list) and all(is_int(v) and v >= minimum for v in value)


def _named(value: Any) -> str | None:
    """The name of a Zarr v3 extension point (``"name"`` or ``{"name": ...}``), else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("name"), str):
        if "configuration" in value and not isinstance(value["configuration"], Mapping):
            return None
        return str(value["name"])
    return None


def _v3_chunk_shape(doc: Mapping[str, Any]) -> tuple[Any, bool]:
    """``(chunk_shape, found)`` of a regular chunk grid."""
    grid = doc.get("chunk_grid")
    if _named(grid) != "regular" or not isinstance(grid, Mapping):
        return None, False
    config = grid.get("configuration")
    if not isinstance(config, Mapping) or "chunk_shape" not in config:
        return None, False
    return config["chunk_shape"], True


def _chunks(ctx: ArrayContext) -> tuple[Any, bool, tuple[str, ...]]:
    """``(chunk shape, found, path)`` as the document states it."""
    if _v2(ctx):
        return ctx.document.get("chunks"), "chunks" in ctx.document, ("chunks",)
    value, found = _v3_chunk_shape(ctx.document)
    return value, found, ("chunk_grid", "configuration", "chunk_shape")


@rule(
    "array.metadata.required",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="image-layout",
    summary="An array's .zarray (Zarr v2) or zarr.json (Zarr v3) has every required member.",
    zarr_formats=(2, 3),
)
def metadata_required(ctx: ArrayContext) -> Iterator[Violation]:
    """Each multiscale level is stored as a separate Zarr array [...] (0.4:) Arrays MUST be
    defined and stored in a hierarchical organization as defined by the version 2 of the Zarr
    specification. (0.5:) OME-Zarr is implemented using the Zarr format as defined by the
    version 3 of the Zarr specification.

    Zarr v2 requires zarr_format, shape, chunks, dtype, compressor, fill_value, order and
    filters; Zarr v3 requires zarr_format, node_type, shape, data_type, chunk_grid,
    chunk_key_encoding, fill_value and codecs."""
    required = _V2_REQUIRED if _v2(ctx) else _V3_REQUIRED
    for key in required:
        if key not in ctx.document:
            yield Violation(f"the array metadata has no {key!r}")


@rule(
    "array.zarr-format.value",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="image-layout",
    summary="zarr_format is 2 in a .zarray and 3 in an array's zarr.json.",
    zarr_formats=(2, 3),
)
def zarr_format_value(ctx: ArrayContext) -> Iterator[Violation]:
    """Arrays MUST be defined and stored [...] as defined by the version 2 of the Zarr
    specification (0.4) / the version 3 of the Zarr specification (0.5): their documents
    say so in ``zarr_format``."""
    if "zarr_format" not in ctx.document:
        return
    value = ctx.document["zarr_format"]
    if not is_int(value) or value != ctx.zarr_format:
        yield Violation(f"zarr_format must be {ctx.zarr_format}, found {value!r}",
                        ("zarr_format",))


@rule(
    "array.shape.valid",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="image-layout",
    summary="An array's shape is a list of non-negative integers.",
    zarr_formats=(2, 3),
)
def shape_valid(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr (v2 and v3): "shape" is a list of integers giving the length of each dimension of
    the array. (Each multiscale level is stored as a separate Zarr array.)"""
    if "shape" in ctx.document and not _ints(ctx.document["shape"], 0):
        yield Violation(f"shape must be a list of non-negative integers, found "
                        f"{ctx.document['shape']!r}", ("shape",))


@rule(
    "array.chunks.valid",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="image-layout",
    summary="An array's chunk shape (v2 chunks, v3 regular chunk_grid) is a list of positive "
    "integers.",
    zarr_formats=(2, 3),
)
def chunks_valid(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr v2: "chunks" is a list of integers defining the length of each dimension of a
    chunk; Zarr v3 regular grid: "chunk_shape" is a list of integers, one per dimension, each
    greater than zero. Chunk grids other than "regular" (extensions) are not checked."""
    value, found, path = _chunks(ctx)
    if found and not _ints(value, 1):
        yield Violation(f"the chunk shape must be a list of positive integers, found {value!r}",
                        path)


@rule(
    "array.chunks.ndim",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="image-layout",
    summary="An array's chunk shape has as many entries as its shape.",
    zarr_formats=(2, 3),
)
def chunks_ndim(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr v2: "chunks" [has] the length of each dimension of a chunk of the array; Zarr v3:
    the regular grid's "chunk_shape" MUST have the same number of dimensions as the array."""
    value, found, path = _chunks(ctx)
    shape = ctx.document.get("shape")
    if found and isinstance(value, list) and _ints(shape, 0) and len(value) != len(shape):
        yield Violation(f"the chunk shape has {_count(len(value))} but the shape has "
                        f"{_count(len(shape))}", path)


@rule(
    "array.dtype.valid",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="image-layout",
    summary="An array's data type is well-formed (a v2 dtype string or structure, a v3 "
    "data_type name).",
    zarr_formats=(2, 3),
)
def dtype_valid(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr v2: "dtype" is a string (byte order, type code, size, as NumPy's typestr) or a
    list defining a structured data type; Zarr v3: "data_type" names a data type, as a string
    or as an object with a "name"."""
    if _v2(ctx):
        if "dtype" in ctx.document and not _v2_dtype_ok(ctx.document["dtype"]):
            yield Violation(f"dtype {ctx.document['dtype']!r} is not a Zarr v2 data type",
                            ("dtype",))
    elif "data_type" in ctx.document and _named(ctx.document["data_type"]) is None:
        yield Violation(f"data_type {ctx.document['data_type']!r} is not a data type name",
                        ("data_type",))


def _v2_dtype_ok(dtype: Any, depth: int = 0) -> bool:
    if isinstance(dtype, str):
        return bool(_V2_TYPESTR.match(dtype))
    if isinstance(dtype, list) and dtype and depth < 8:
        # A structured type: [[field name, dtype], ...] or [[name, dtype, shape], ...].
        return all(
            isinstance(field, list) and len(field) in (2, 3) and isinstance(field[0], str)
            and _v2_dtype_ok(field[1], depth + 1)
            and (len(field) == 2 or _ints(field[2], 0))
            for field in dtype
        )
    return False


@rule(
    "array.dtype.known",
    severity=Severity.WARNING,
    subject=Subject.ARRAY_NODE,
    anchor="storage-format",
    summary="An array's data_type is one of the Zarr v3 core data types (others are "
    "extensions that readers may not support).",
    zarr_formats=(3,),
)
def dtype_known(ctx: ArrayContext) -> Iterator[Violation]:
    """All features of the Zarr format including codecs, chunk grids, chunk key encodings,
    data types and storage transformers may be used with OME-Zarr unless explicitly
    disallowed in this specification.

    Extension data types are allowed, but a reader that does not know one cannot read the
    array at all (Zarr v3 readers must fail on unknown data types): a warning. The core
    types are the booleans, integers, floats, complex numbers and raw bits (r8, r16, ...)."""
    if not _v3(ctx):
        return
    name = _named(ctx.document.get("data_type"))
    if name is None or name in _V3_CORE:
        return
    raw = _V3_RAW.match(name)
    if raw and int(raw.group(1)) % 8 == 0:
        return
    yield Violation(f"data_type {name!r} is not a Zarr v3 core data type", ("data_type",))


@rule(
    "array.fill-value.valid",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="image-layout",
    summary="An array's fill_value is a value of its data type.",
    zarr_formats=(2, 3),
)
def fill_value_valid(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr v2: "fill_value" is a scalar value of the data type, or null (floats may also be
    "NaN", "Infinity", "-Infinity"); Zarr v3: "fill_value" MUST be a value of the data type
    (floats also as "NaN", "Infinity", "-Infinity" or a "0x..." hex string of the bits,
    complex numbers as a pair of floats).

    Checked for the core numeric and boolean types only; integers must also fit the type.
    Zarr v2 writers have used 0 and 1 for booleans and integral floats for integers: these
    are accepted in v2."""
    if "fill_value" not in ctx.document:
        return
    value = ctx.document["fill_value"]
    dtype = ctx.array.dtype
    if dtype is None or (value is None and _v2(ctx)):
        return
    if not _fill_ok(value, dtype, lenient=_v2(ctx)):
        yield Violation(f"fill_value {value!r} is not a value of data type {dtype}",
                        ("fill_value",))


def _fill_ok(value: Any, dtype: str, *, lenient: bool) -> bool:
    if dtype == "bool":
        return isinstance(value, bool) or (lenient and is_int(value) and value in (0, 1))
    if dtype.startswith(("int", "uint")):
        number = value
        if lenient and isinstance(value, float) and value.is_integer():
            number = int(value)
        if not is_int(number):
            return False
        bits = int(re.sub(r"[^0-9]", "", dtype))
        low, high = ((0, 2**bits - 1) if dtype.startswith("uint")
                     else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1))
        return bool(low <= number <= high)
    if dtype.startswith("float"):
        return _float_ok(value)
    if dtype.startswith("complex"):
        if lenient:
            return True  # Zarr v2 does not say how a complex fill value is written
        return isinstance(value, list) and len(value) == 2 and all(_float_ok(v) for v in value)
    return True


def _float_ok(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and (value in _FLOAT_WORDS or bool(_HEX_FLOAT.match(value)))


@rule(
    "array.order.valid",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="on-disk",
    summary="A .zarray's order is \"C\" or \"F\".",
    zarr_formats=(2,),
)
def order_valid(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr v2: "order" is either "C" or "F", defining the layout of bytes within each chunk
    of the array. (Arrays MUST be defined and stored [...] as defined by the version 2 of the
    Zarr specification.)"""
    if _v2(ctx) and "order" in ctx.document and ctx.document["order"] not in ("C", "F"):
        yield Violation(f"order must be \"C\" or \"F\", found {ctx.document['order']!r}",
                        ("order",))


def _codec_config_ok(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("id"), str)


@rule(
    "array.compressor.valid",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="on-disk",
    summary="A .zarray's compressor is null or a codec object with an \"id\".",
    zarr_formats=(2,),
)
def compressor_valid(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr v2: "compressor" is a JSON object identifying the primary compression codec and
    providing configuration parameters, or null if no compressor is to be used. The object
    MUST contain an "id" key identifying the codec to be used."""
    if not _v2(ctx) or "compressor" not in ctx.document:
        return
    value = ctx.document["compressor"]
    if value is not None and not _codec_config_ok(value):
        yield Violation("compressor must be null or an object with a string 'id'",
                        ("compressor",))


@rule(
    "array.filters.valid",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="on-disk",
    summary="A .zarray's filters are null or a list of codec objects with an \"id\".",
    zarr_formats=(2,),
)
def filters_valid(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr v2: "filters" is a list of JSON objects providing codec configurations, or null if
    no filters are to be applied. Each codec configuration object MUST contain a "id" key
    identifying the codec to be used."""
    if not _v2(ctx) or "filters" not in ctx.document:
        return
    value = ctx.document["filters"]
    if value is None:
        return
    if not isinstance(value, list):
        yield Violation("filters must be null or a list of codec objects", ("filters",))
        return
    for k, codec in enumerate(value):
        if not _codec_config_ok(codec):
            yield Violation("a filter must be an object with a string 'id'", ("filters", k))


@rule(
    "array.dimension-separator.valid",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="on-disk",
    summary="A .zarray's dimension_separator, when present, is \".\" or \"/\".",
    zarr_formats=(2,),
)
def dimension_separator_valid(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr v2: "dimension_separator" — if present, MUST be either "." or "/"."""
    if _v2(ctx) and "dimension_separator" in ctx.document:
        value = ctx.document["dimension_separator"]
        if value not in (".", "/"):
            yield Violation(f"dimension_separator must be \".\" or \"/\", found {value!r}",
                            ("dimension_separator",))


@rule(
    "array.dimension-separator.nested",
    severity=Severity.WARNING,
    subject=Subject.ARRAY_NODE,
    anchor="image-layout",
    summary="A 0.4 array stores its chunks nested: dimension_separator \"/\".",
    zarr_formats=(2,),
)
def dimension_separator_nested(ctx: ArrayContext) -> Iterator[Violation]:
    """Chunks are stored with the nested directory layout. All but the last chunk element are
    stored as directories. (Version history, 0.2.0: "Change chunk dimension separator to
    "/"".)

    Said in the layout's comments, with no MUST: a warning. A .zarray without
    dimension_separator uses Zarr v2's default, ".", the flat layout."""
    if not _v2(ctx):
        return
    value = ctx.document.get("dimension_separator")
    if value == "/":
        return
    if "dimension_separator" not in ctx.document:
        yield Violation('the array has no dimension_separator, so its chunks are stored flat '
                        '("."); OME-Zarr 0.4 stores them nested ("/")')
    elif value == ".":
        yield Violation('dimension_separator is "."; OME-Zarr 0.4 stores chunks nested ("/")',
                        ("dimension_separator",))


@rule(
    "array.chunk-grid.valid",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="storage-format",
    summary="A zarr.json chunk_grid names a grid; a regular grid has a configuration with "
    "chunk_shape.",
    zarr_formats=(3,),
)
def chunk_grid_valid(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr v3: "chunk_grid" is an extension point (a name and an optional configuration);
    the "regular" grid's configuration MUST contain "chunk_shape"."""
    if not _v3(ctx) or "chunk_grid" not in ctx.document:
        return
    grid = ctx.document["chunk_grid"]
    name = _named(grid)
    if name is None:
        yield Violation("chunk_grid must be an object with a string 'name' (and an object "
                        "'configuration')", ("chunk_grid",))
    elif name == "regular" and not _v3_chunk_shape(ctx.document)[1]:
        yield Violation("a regular chunk_grid must have a configuration with 'chunk_shape'",
                        ("chunk_grid",))


@rule(
    "array.chunk-key-encoding.valid",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="storage-format",
    summary="A zarr.json chunk_key_encoding names an encoding; default and v2 use \"/\" or "
    "\".\" as separator.",
    zarr_formats=(3,),
)
def chunk_key_encoding_valid(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr v3: "chunk_key_encoding" is an extension point (a name and an optional
    configuration); the "default" and "v2" encodings take a "separator" of "/" or "."."""
    if not _v3(ctx) or "chunk_key_encoding" not in ctx.document:
        return
    encoding = ctx.document["chunk_key_encoding"]
    name = _named(encoding)
    if name is None:
        yield Violation("chunk_key_encoding must be an object with a string 'name' (and an "
                        "object 'configuration')", ("chunk_key_encoding",))
        return
    if name in ("default", "v2") and isinstance(encoding, Mapping):
        config = encoding.get("configuration")
        separator = config.get("separator", "/") if isinstance(config, Mapping) else "/"
        if separator not in ("/", "."):
            yield Violation(f"separator must be \"/\" or \".\", found {separator!r}",
                            ("chunk_key_encoding", "configuration", "separator"))


@rule(
    "array.codecs.valid",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="storage-format",
    summary="A zarr.json's codecs are a non-empty list of named codecs.",
    zarr_formats=(3,),
)
def codecs_valid(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr v3: "codecs" is a list of codec configurations (each a name and an optional
    configuration); it specifies at least the one array-to-bytes codec."""
    if not _v3(ctx) or "codecs" not in ctx.document:
        return
    codecs = ctx.document["codecs"]
    if not isinstance(codecs, list) or not codecs:
        yield Violation("codecs must be a non-empty list", ("codecs",))
        return
    for k, codec in enumerate(codecs):
        if _named(codec) is None:
            yield Violation("a codec must be an object with a string 'name' (and an object "
                            "'configuration')", ("codecs", k))


@rule(
    "array.dimension-names.valid",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="storage-format",
    summary="A zarr.json's dimension_names is a list of strings or nulls, one per dimension.",
    zarr_formats=(3,),
)
def dimension_names_valid(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr v3: "dimension_names" is an array of strings or nulls; its length MUST be equal to
    the length of "shape". (Whether the names match the axes is
    multiscales.dimension-names.match-axes.)"""
    if not _v3(ctx) or "dimension_names" not in ctx.document:
        return
    names = ctx.document["dimension_names"]
    if not isinstance(names, list) or not all(n is None or isinstance(n, str) for n in names):
        yield Violation("dimension_names must be a list of strings or nulls",
                        ("dimension_names",))
        return
    shape = ctx.document.get("shape")
    if _ints(shape, 0) and len(names) != len(shape):
        yield Violation(f"dimension_names has {_count(len(names))} but the shape has "
                        f"{_count(len(shape))}", ("dimension_names",))


@rule(
    "array.attributes.object",
    severity=Severity.ERROR,
    subject=Subject.ARRAY_NODE,
    anchor="storage-format",
    summary="A zarr.json's attributes, when present, are an object.",
    zarr_formats=(3,),
)
def attributes_object(ctx: ArrayContext) -> Iterator[Violation]:
    """Zarr v3: "attributes" — the value MUST be an object (optional member)."""
    if _v3(ctx) and "attributes" in ctx.document and not isinstance(
        ctx.document["attributes"], Mapping
    ):
        yield Violation("attributes must be a JSON object", ("attributes",))
