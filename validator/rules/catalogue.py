"""Imports every rule module so that their rules register; add new modules here."""

from validator.rules import (  # noqa: F401
    arrays,
    axes,
    bf2raw,
    coordinate_systems,
    image_label,
    labels,
    links,
    multiscale_links,
    multiscales,
    omero,
    plate,
    scene,
    transformations,
    transforms,
    well,
)
