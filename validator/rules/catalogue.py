"""Imports every rule module so that their rules register; add new modules here."""

from validator.rules import (  # noqa: F401
    arrays,
    axes,
    bf2raw,
    image_label,
    labels,
    multiscales,
    omero,
    plate,
    transforms,
    well,
)
