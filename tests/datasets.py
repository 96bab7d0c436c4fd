"""Real OME-Zarr datasets written by the real writers (ome-zarr-py, ngff-zarr), for tests.

:data:`WRITER_DATASETS` lists every dataset as a :class:`DatasetSpec`; the session fixture
``written_datasets`` (tests/conftest.py) builds them all once and maps each id to its path.
Parametrize over them with :func:`dataset_params`::

    @pytest.mark.parametrize("spec", dataset_params())
    def test_valid(spec: DatasetSpec, written_datasets: dict[str, Path]) -> None:
        report = validate(str(written_datasets[spec.id]))

Writers are imported lazily, inside the builders, so importing this module is cheap. The data
is deterministic (fixed seeds) and every chunk holds non-fill values, so every chunk is written
(zarr-python skips chunks equal to the fill value). Writer output is *not* corrected: what the
writers produce that looks off against the spec is listed in :data:`WRITER_QUIRKS`.
"""

from __future__ import annotations

import shutil
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest

__all__ = [
    "WRITER_DATASETS",
    "WRITER_QUIRKS",
    "DatasetSpec",
    "KnownIssue",
    "S3Server",
    "build_all",
    "dataset_params",
    "get_spec",
    "mutable_copy",
    "specs",
    "timed_build_all",
    "upload_tree",
]

Writer = Literal["ome-zarr-py", "ngff-zarr"]
Kind = Literal["image", "plate", "scene"]
Version = Literal["0.4", "0.5", "0.6"]


@dataclass(frozen=True)
class KnownIssue:
    """Something the writer gets wrong (or skips) in this dataset; see :data:`WRITER_QUIRKS`."""

    quirk: str
    """Key of :data:`WRITER_QUIRKS`."""
    level: Literal["MUST", "SHOULD"]
    """The spec keyword broken: MUST (an error) or SHOULD (a warning)."""
    nodes: tuple[str, ...]
    """Store-relative paths of the Zarr nodes concerned ("" is the root)."""


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset: who writes it, which OME-Zarr version, what it is, and how to build it."""

    id: str
    """Unique, also the dataset's directory name under the datasets root and its URL path."""
    writer: Writer
    version: Version
    kind: Kind
    """``image`` (a multiscales group, maybe with labels), ``plate`` or ``scene`` (0.6)."""
    build: Callable[[Path], None] = field(repr=False, compare=False)
    """Writes the dataset at the given (not yet existing) path."""
    features: frozenset[str] = frozenset()
    """What it exercises: ``2d``, ``3d``, ``5d``, ``labels``, ``omero``, ``units``, ..."""
    description: str = ""
    known_issues: tuple[KnownIssue, ...] = ()
    """What the writer produces that does not follow the spec (it is kept as written)."""

    @property
    def conformant(self) -> bool:
        """No known MUST violation: a validator should report no error for it."""
        return all(issue.level != "MUST" for issue in self.known_issues)

    @property
    def zarr_format(self) -> int:
        return 2 if self.version == "0.4" else 3

    @property
    def metadata_file(self) -> str:
        """The document of the root group holding the OME metadata."""
        return ".zattrs" if self.version == "0.4" else "zarr.json"


# --- ome-zarr-py -------------------------------------------------------------------------------


def _ome_zarr() -> Any:
    """Import ome_zarr.writer; its import-time ``Scaler`` DeprecationWarning is expected."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Call to deprecated class Scaler", category=DeprecationWarning
        )
        import ome_zarr.writer

    return ome_zarr.writer


def _ome_zarr_root(path: Path, version: str) -> tuple[Any, Any]:
    """A new root group at ``path`` for ``version``, as ome-zarr-py opens it, and the format."""
    import zarr
    from ome_zarr.format import FormatV04, FormatV05
    from ome_zarr.io import parse_url

    fmt = FormatV04() if version == "0.4" else FormatV05()
    location = parse_url(path, mode="w", fmt=fmt)
    assert location is not None
    return zarr.group(store=location.store, zarr_format=fmt.zarr_format), fmt


def _pattern(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    """Deterministic data without any all-zero chunk."""
    rng = np.random.default_rng(seed)
    return rng.integers(1, 200, size=shape, dtype=dtype)


def _labels(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Deterministic label image: small integer blobs on a background of 0."""
    rng = np.random.default_rng(seed)
    data = np.zeros(shape, dtype=np.uint8)
    data[..., :, :] = rng.integers(0, 4, size=shape[-2:], dtype=np.uint8)
    return data


_OMERO = {
    "channels": [
        {
            "color": "FF0000",
            "label": "membrane",
            "active": True,
            "window": {"min": 0, "max": 65535, "start": 0, "end": 1000},
        },
        {
            "color": "00FF00",
            "label": "nuclei",
            "active": True,
            "window": {"min": 0, "max": 65535, "start": 10, "end": 800},
        },
    ],
    "rdefs": {"defaultT": 0, "defaultZ": 1, "model": "color"},
}
_LABEL_COLORS = [
    {"label-value": 1, "rgba": [255, 0, 0, 255]},
    {"label-value": 2, "rgba": [0, 255, 0, 255]},
    {"label-value": 3, "rgba": [0, 0, 255, 128]},
]
_LABEL_PROPERTIES = [
    {"label-value": 1, "class": "cell", "area (pixels)": 120},
    {"label-value": 2, "class": "cell", "area (pixels)": 80},
    {"label-value": 3, "class": "debris"},
]


def _ozp_image_2d(version: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        writer = _ome_zarr()
        root, fmt = _ome_zarr_root(path, version)
        writer.write_image(
            _pattern((64, 64), "uint8", 1),
            root,
            fmt=fmt,
            axes="yx",
            scale_factors=[2],
            scale={"y": 0.5, "x": 0.5},
            axes_units={"y": "micrometer", "x": "micrometer"},
            storage_options={"chunks": (32, 32)},
            name="image2d",
        )

    return build


_SCALE_5D = {"t": 1.0, "c": 1.0, "z": 2.0, "y": 0.5, "x": 0.5}
_UNITS_5D = {"t": "second", "z": "micrometer", "y": "micrometer", "x": "micrometer"}


def _ozp_image_5d_labels(version: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        writer = _ome_zarr()
        root, fmt = _ome_zarr_root(path, version)
        shape = (2, 2, 4, 64, 64)
        writer.write_image(
            _pattern(shape, "uint16", 2),
            root,
            fmt=fmt,
            axes="tczyx",
            scale_factors=[2],
            scale=_SCALE_5D,
            axes_units=_UNITS_5D,
            storage_options={"chunks": (1, 1, 2, 32, 32)},
            name="image5d",
            omero=_OMERO,
        )
        label_shape = (2, 1, 4, 64, 64)
        # one label image through the scaling writer, one through the pyramid writer
        writer.write_labels(
            _labels(label_shape, 3),
            root,
            name="cells",
            fmt=fmt,
            axes="tczyx",
            scaler=None,
            scale_factors=[2],
            scale=_SCALE_5D,
            axes_units=_UNITS_5D,
            storage_options={"chunks": (1, 1, 2, 32, 32)},
            label_metadata={"colors": _LABEL_COLORS, "properties": _LABEL_PROPERTIES},
        )
        nuclei = _labels(label_shape, 4)
        writer.write_multiscale_labels(
            [nuclei, nuclei[..., ::2, ::2]],
            root,
            name="nuclei",
            fmt=fmt,
            axes="tczyx",
            scale=_SCALE_5D,
            axes_units=_UNITS_5D,
            label_metadata={
                "colors": _LABEL_COLORS[:2],
                "source": {"image": "../../"},
            },
        )

    return build


PLATE_ROWS = ("A", "B")
PLATE_COLUMNS = ("1", "2", "3")
PLATE_WELLS = ("A/1", "A/3", "B/2")
PLATE_FIELDS = 2


def _ozp_plate(version: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        writer = _ome_zarr()
        root, fmt = _ome_zarr_root(path, version)
        writer.write_plate_metadata(
            root,
            list(PLATE_ROWS),
            list(PLATE_COLUMNS),
            list(PLATE_WELLS),
            fmt=fmt,
            name="test plate",
            field_count=PLATE_FIELDS,
            acquisitions=[{"id": 0, "name": "first", "maximumfieldcount": PLATE_FIELDS}],
        )
        images = [{"path": str(f), "acquisition": 0} for f in range(PLATE_FIELDS)]
        for seed, well in enumerate(PLATE_WELLS):
            row, column = well.split("/")
            well_group = root.require_group(row).require_group(column)
            writer.write_well_metadata(well_group, images, fmt=fmt)
            for f in range(PLATE_FIELDS):
                writer.write_image(
                    _pattern((2, 1, 64, 64), "uint16", 10 + seed * PLATE_FIELDS + f),
                    well_group.require_group(str(f)),
                    fmt=fmt,
                    axes="czyx",
                    scale_factors=[2],
                    scale={"c": 1.0, "z": 1.0, "y": 0.65, "x": 0.65},
                    axes_units={"y": "micrometer", "x": "micrometer"},
                    storage_options={"chunks": (1, 1, 64, 64)},
                )

    return build


# --- ngff-zarr ---------------------------------------------------------------------------------


def _ngff_zarr_image_3d(version: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        import ngff_zarr

        image = ngff_zarr.to_ngff_image(
            _pattern((8, 64, 64), "uint16", 20),
            dims=["z", "y", "x"],
            scale={"z": 2.0, "y": 0.5, "x": 0.5},
            translation={"z": 0.0, "y": 0.0, "x": 0.0},
            axes_units={"z": "micrometer", "y": "micrometer", "x": "micrometer"},
            name="ngff3d",
        )
        # dask bin shrink: the default itkwasm method spends ~5 s compiling WebAssembly
        multiscales = ngff_zarr.to_multiscales(
            image, scale_factors=[2], chunks=32, method=ngff_zarr.Methods.DASK_BIN_SHRINK
        )
        ngff_zarr.to_ngff_zarr(str(path), multiscales, version=version)

    return build


def _ngff_zarr_06_image(ndim: int, translation: bool, name: str) -> Callable[[Path], None]:
    """A 0.6 image: 2D (64x64 uint8) or 3D (8x64x64 uint16), 2 levels; with ``translation``
    each level's transformation is a sequence of a scale and a translation."""
    def build(path: Path) -> None:
        import ngff_zarr

        dims = ["z", "y", "x"][-ndim:]
        shape = (8, 64, 64)[-ndim:]
        image = ngff_zarr.to_ngff_image(
            _pattern(shape, "uint16" if ndim == 3 else "uint8", 30 + ndim),
            dims=dims,
            scale=dict(zip(dims, (2.0, 0.5, 0.5)[-ndim:], strict=True)),
            translation=dict(zip(dims, (1.0, 3.0, -2.0)[-ndim:], strict=True))
            if translation else None,
            axes_units=dict.fromkeys(dims, "micrometer"),
            name=name,
        )
        multiscales = ngff_zarr.to_multiscales(
            image, scale_factors=[2], chunks=32, method=ngff_zarr.Methods.DASK_BIN_SHRINK
        )
        ngff_zarr.to_ngff_zarr(str(path), multiscales, version="0.6")

    return build


def _ngff_zarr_06_multiscales(name: str, seed: int) -> Any:
    import ngff_zarr

    image = ngff_zarr.to_ngff_image(
        _pattern((64, 64), "uint8", seed), dims=["y", "x"], scale={"y": 0.5, "x": 0.5},
        axes_units={"y": "micrometer", "x": "micrometer"}, name=name,
    )
    return ngff_zarr.to_multiscales(
        image, scale_factors=[2], chunks=32, method=ngff_zarr.Methods.DASK_BIN_SHRINK
    )


def _space_system(name: str) -> Any:
    from ngff_zarr.v06.zarr_metadata import Axis, CoordinateSystem

    return CoordinateSystem(name=name, axes=[Axis(name=n, type="space", unit="micrometer")
                                             for n in ("y", "x")])


def _ngff_zarr_06_affine(path: Path) -> None:
    """A 0.6 image with a second system, "world", linked by a rotation-and-shift affine that
    ngff-zarr stores as a Zarr array (coordinateTransformations/to-world)."""
    import ngff_zarr
    from ngff_zarr.v06.zarr_metadata import Affine, CoordinateSystemIdentifier

    multiscales = _ngff_zarr_06_multiscales("affine", 40)
    metadata = multiscales.metadata
    intrinsic = metadata.coordinateSystems[0].name
    metadata.coordinateSystems.append(_space_system("world"))
    metadata.coordinateTransformations = [Affine(
        affine=[[0.0, -1.0, 5.0], [1.0, 0.0, 6.0]], name="to-world",
        input=CoordinateSystemIdentifier(name=intrinsic),
        output=CoordinateSystemIdentifier(name="world"))]
    ngff_zarr.to_ngff_zarr(str(path), multiscales, version="0.6")


def _ngff_zarr_06_scene(path: Path) -> None:
    """A 0.6 scene (the spec's stitching example, smaller): two tiles translated into the
    scene's "world" system."""
    import ngff_zarr
    from ngff_zarr.v06.zarr_metadata import CoordinateSystemIdentifier, Translation

    images = {f"tile_{k}": _ngff_zarr_06_multiscales(f"tile_{k}", 50 + k) for k in range(2)}
    transforms = [Translation(
        translation=[0.0, 32.0 * k], name=f"tile_{k} to world",
        input=CoordinateSystemIdentifier(
            path=tile, name=images[tile].metadata.coordinateSystems[0].name),
        output=CoordinateSystemIdentifier(name="world"))
        for k, tile in enumerate(images)]
    scene = ngff_zarr.NgffScene(images=images, coordinateTransformations=transforms,
                                coordinateSystems=[_space_system("world")])
    scene.to_ome_zarr(str(path))


def _ngff_zarr_06_field(path: Path) -> None:
    """ngff-zarr's standalone displacement field (declare_field_transform): a 2x16x16 field
    whose multiscale declares the displacements itself."""
    import dataclasses

    import ngff_zarr

    rng = np.random.default_rng(60)
    image = ngff_zarr.to_ngff_image(
        (rng.random((2, 16, 16)) + 0.5).astype("float32"), dims=["c", "y", "x"],
        scale={"c": 1.0, "y": 2.0, "x": 2.0},
        axes_units={"y": "micrometer", "x": "micrometer"}, name="field",
    )
    image = dataclasses.replace(image, axes_types={"c": "displacement"})
    multiscales = ngff_zarr.to_multiscales(image, scale_factors=[], chunks=16,
                                           method=ngff_zarr.Methods.DASK_BIN_SHRINK)
    multiscales = ngff_zarr.declare_field_transform(multiscales)
    ngff_zarr.to_ngff_zarr(str(path), multiscales, version="0.6")


# --- registry ----------------------------------------------------------------------------------


_NO_TYPE = "ome-zarr-py-multiscales-type-metadata"
_PLATE_IMAGES = tuple(f"{w}/{f}" for w in PLATE_WELLS for f in range(PLATE_FIELDS))


def _ozp_5d_issues(version: str) -> tuple[KnownIssue, ...]:
    issues = [KnownIssue(_NO_TYPE, "SHOULD", ("", "labels/cells", "labels/nuclei"))]
    if version == "0.5":
        issues += [
            KnownIssue("ome-zarr-py-0.5-labels-group-version", "MUST", ("labels",)),
            KnownIssue(
                "ome-zarr-py-0.5-multiscale-labels-dimension-names",
                "MUST",
                ("labels/nuclei/s0", "labels/nuclei/s1"),
            ),
        ]
    return tuple(issues)


def _registry() -> list[DatasetSpec]:
    out: list[DatasetSpec] = []
    versions: tuple[Literal["0.4", "0.5"], ...] = ("0.4", "0.5")
    for version in versions:
        v = version
        out += [
            DatasetSpec(
                id=f"ome-zarr-py-{v}-image-2d",
                writer="ome-zarr-py",
                version=version,
                kind="image",
                build=_ozp_image_2d(v),
                features=frozenset({"2d", "units"}),
                description="64x64 uint8 (y, x), 2 levels, 32x32 chunks",
                known_issues=(KnownIssue(_NO_TYPE, "SHOULD", ("",)),),
            ),
            DatasetSpec(
                id=f"ome-zarr-py-{v}-image-5d-labels",
                writer="ome-zarr-py",
                version=version,
                kind="image",
                build=_ozp_image_5d_labels(v),
                features=frozenset({"5d", "units", "omero", "labels"}),
                description=(
                    "2x2x4x64x64 uint16 (t, c, z, y, x), 2 levels, omero with 2 channels; "
                    "labels 'cells' (write_labels: colors, properties) and 'nuclei' "
                    "(write_multiscale_labels: colors, source)"
                ),
                known_issues=_ozp_5d_issues(v),
            ),
            DatasetSpec(
                id=f"ome-zarr-py-{v}-plate",
                writer="ome-zarr-py",
                version=version,
                kind="plate",
                build=_ozp_plate(v),
                features=frozenset({"4d", "units", "sparse-plate"}),
                description=(
                    "2x3 plate, wells A/1 A/3 B/2, 2 fields each, every field 2x1x64x64 "
                    "uint16 (c, z, y, x) with 2 levels"
                ),
                known_issues=(KnownIssue(_NO_TYPE, "SHOULD", _PLATE_IMAGES),),
            ),
            DatasetSpec(
                id=f"ngff-zarr-{v}-image-3d",
                writer="ngff-zarr",
                version=version,
                kind="image",
                build=_ngff_zarr_image_3d(v),
                features=frozenset({"3d", "units", "consolidated"}),
                description="8x64x64 uint16 (z, y, x), 2 levels, 32-chunks, consolidated",
            ),
        ]
    out += [
        DatasetSpec(
            id="ngff-zarr-0.6-image-2d", writer="ngff-zarr", version="0.6", kind="image",
            build=_ngff_zarr_06_image(2, False, "ngff2d"),
            features=frozenset({"2d", "units", "consolidated"}),
            description="64x64 uint8 (y, x), 2 levels, a scale per level",
        ),
        DatasetSpec(
            id="ngff-zarr-0.6-image-3d", writer="ngff-zarr", version="0.6", kind="image",
            build=_ngff_zarr_06_image(3, True, "ngff3d"),
            features=frozenset({"3d", "units", "translation", "consolidated"}),
            description="8x64x64 uint16 (z, y, x), 2 levels, a scale then a translation",
        ),
        DatasetSpec(
            id="ngff-zarr-0.6-image-affine", writer="ngff-zarr", version="0.6", kind="image",
            build=_ngff_zarr_06_affine,
            features=frozenset({"2d", "units", "parameter-array"}),
            description="64x64 uint8 with a second system linked by an affine stored as an "
            "array",
        ),
        DatasetSpec(
            id="ngff-zarr-0.6-scene", writer="ngff-zarr", version="0.6", kind="scene",
            build=_ngff_zarr_06_scene,
            features=frozenset({"2d", "units", "scene"}),
            description="a scene of two 64x64 uint8 tiles translated into its 'world' system",
        ),
        DatasetSpec(
            id="ngff-zarr-0.6-field", writer="ngff-zarr", version="0.6", kind="image",
            build=_ngff_zarr_06_field,
            features=frozenset({"3d", "field"}),
            description="a standalone 2x16x16 displacement field (declare_field_transform)",
            known_issues=(
                KnownIssue("ngff-zarr-0.6-field-path-is-an-array", "MUST", ("",)),
                KnownIssue("ngff-zarr-0.6-standalone-field-unlinked", "MUST", ("",)),
                KnownIssue("ngff-zarr-0.6-standalone-field-not-intrinsic", "MUST", ("",)),
            ),
        ),
    ]
    return out


WRITER_DATASETS: list[DatasetSpec] = _registry()
_BY_ID = {spec.id: spec for spec in WRITER_DATASETS}
assert len(_BY_ID) == len(WRITER_DATASETS), "dataset ids must be unique"

#: What the writers produce that looks off against the spec text (kept as written, not fixed).
WRITER_QUIRKS: dict[str, str] = {
    "ome-zarr-py-multiscales-type-metadata": (
        "ome-zarr-py 0.18 writes no multiscales 'type' nor 'metadata' (both SHOULD, spec "
        "0.4/0.5 'multiscales' metadata)."
    ),
    "ome-zarr-py-0.5-multiscale-labels-dimension-names": (
        "ome-zarr-py 0.18 write_multiscale_labels (and write_multiscale), given axes as a "
        "string ('tczyx', as documented), writes 0.5 arrays without 'dimension_names' (MUST in "
        "0.5): it only collects names from axes given as dicts. write_image/write_labels are fine."
    ),
    "ome-zarr-py-0.5-labels-group-version": (
        "ome-zarr-py 0.18 writes the 0.5 'labels' group as attributes.ome = {'labels': [...]} "
        "without ome.version (spec 0.5: the version is in the ome namespace; the spec's own "
        "labels example has it; ome-zarr-models rejects it)."
    ),
    "ome-zarr-py-0.5-omero-version": (
        "ome-zarr-py 0.18 adds 'version': '0.5' inside the 0.5 'omero' object (not a spec key)."
    ),
    "ome-zarr-py-0.5-plate-version": (
        "ome-zarr-py 0.18 keeps 'version' inside 'plate' in 0.5 as well as ome.version."
    ),
    "ome-zarr-py-chunks-larger-than-shape": (
        "with storage_options chunks, lower levels keep the level-0 chunk shape even when it is "
        "larger than the array (e.g. shape 32x32, chunks 64x64) -- legal Zarr."
    ),
    "ngff-zarr-0.6-field-path-is-an-array": (
        "ngff-zarr 0.50 declare_field_transform points the displacements 'path' at the field's "
        "array (scale0/field); spec 0.6 'coordinates and displacements': the field is stored "
        "\"in an ome-zarr multiscale group\" and \"the multiscale group at `path` MUST\" ..."
    ),
    "ngff-zarr-0.6-standalone-field-unlinked": (
        "ngff-zarr 0.50's standalone field declares a system 'physical' and a displacements "
        "from it to itself, linked to nothing else: the field's 'intrinsic' system and "
        "'physical' are two parts of the graph (spec 0.6: the graph MUST be connected)."
    ),
    "ngff-zarr-0.6-standalone-field-not-intrinsic": (
        "the same transformation has neither end in the intrinsic system (spec 0.6: one of "
        "input or output of a multiscale's own transformation MUST be the intrinsic system)."
    ),
    "ngff-zarr-intermediate-groups": (
        "ngff-zarr puts each level at scaleN/<name> inside an intermediate group 'scaleN' that "
        "carries xarray's _ARRAY_DIMENSIONS as group attributes; it consolidates metadata "
        "(.zmetadata in 0.4, consolidated_metadata inside the root zarr.json in 0.5)."
    ),
}


def get_spec(dataset_id: str) -> DatasetSpec:
    return _BY_ID[dataset_id]


def specs(
    *,
    writer: Writer | None = None,
    version: str | None = None,
    kind: Kind | None = None,
    feature: str | None = None,
) -> list[DatasetSpec]:
    """The datasets matching every given criterion."""
    return [
        s
        for s in WRITER_DATASETS
        if (writer is None or s.writer == writer)
        and (version is None or s.version == version)
        and (kind is None or s.kind == kind)
        and (feature is None or feature in s.features)
    ]


def dataset_params(**criteria: Any) -> list[Any]:
    """``pytest.param(spec, id=spec.id)`` for :func:`specs` ``(**criteria)``."""
    return [pytest.param(s, id=s.id) for s in specs(**criteria)]


def build_all(root: Path, selected: Iterable[DatasetSpec] | None = None) -> dict[str, Path]:
    """Write every (selected) dataset under ``root`` (replacing it); returns id -> path."""
    root.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for spec in WRITER_DATASETS if selected is None else selected:
        path = root / spec.id
        if path.exists():
            shutil.rmtree(path)
        spec.build(path)
        paths[spec.id] = path
    return paths


def timed_build_all(root: Path) -> tuple[dict[str, Path], dict[str, float]]:
    """:func:`build_all`, also returning each dataset's build time in seconds."""
    paths: dict[str, Path] = {}
    seconds: dict[str, float] = {}
    for spec in WRITER_DATASETS:
        start = time.perf_counter()
        paths.update(build_all(root, [spec]))
        seconds[spec.id] = time.perf_counter() - start
    return paths, seconds


def mutable_copy(source: Path, destination_parent: Path, name: str | None = None) -> Path:
    """Copy the dataset at ``source`` to ``destination_parent/name`` (default: same name)."""
    destination = destination_parent / (name or source.name)
    shutil.copytree(source, destination)
    return destination


# --- S3 (moto) ---------------------------------------------------------------------------------

S3_BUCKET = "ome-zarr-test"
S3_KEY = S3_SECRET = "testing"
S3_REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    """A moto S3 server on 127.0.0.1 holding the written datasets as ``<id>/...`` keys.

    Objects and the bucket are ``public-read``: both signed (:attr:`storage_options`) and
    anonymous (:attr:`anon_storage_options`) s3fs clients can read them, and so can plain
    HTTP GETs of :meth:`http_url` (path-style).
    """

    endpoint_url: str
    bucket: str = S3_BUCKET
    region: str = S3_REGION
    objects: int = 0
    """Objects uploaded by the fixture."""

    @property
    def storage_options(self) -> dict[str, Any]:
        """fsspec/s3fs options with the dummy credentials moto accepts."""
        return {
            "key": S3_KEY,
            "secret": S3_SECRET,
            "client_kwargs": {"endpoint_url": self.endpoint_url, "region_name": self.region},
        }

    @property
    def anon_storage_options(self) -> dict[str, Any]:
        """fsspec/s3fs options for unsigned (anonymous) requests."""
        return {
            "anon": True,
            "client_kwargs": {"endpoint_url": self.endpoint_url, "region_name": self.region},
        }

    def url(self, dataset_id: str) -> str:
        """``s3://bucket/<dataset_id>``."""
        return f"s3://{self.bucket}/{dataset_id}"

    def http_url(self, dataset_id: str) -> str:
        """The dataset as a plain (path-style) HTTP URL on the moto server."""
        return f"{self.endpoint_url}/{self.bucket}/{dataset_id}"

    def client(self) -> Any:
        """A boto3 S3 client for the server (e.g. to break an object in a negative test)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET,
            region_name=self.region,
        )

    def filesystem(self, *, anon: bool = False) -> Any:
        """A fresh (not instance-cached) ``s3fs.S3FileSystem`` for the server."""
        import s3fs

        options = self.anon_storage_options if anon else self.storage_options
        return s3fs.S3FileSystem(skip_instance_cache=True, **options)


def upload_tree(client: Any, bucket: str, source: Path, prefix: str) -> int:
    """Upload every file under ``source`` to ``s3://bucket/prefix/...`` (public-read)."""
    from concurrent.futures import ThreadPoolExecutor

    files = [p for p in sorted(source.rglob("*")) if p.is_file()]

    def put(path: Path) -> None:
        key = f"{prefix}/{path.relative_to(source).as_posix()}"
        client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ACL="public-read")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(put, files))
    return len(files)
