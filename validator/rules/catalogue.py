"""Imports every rule module so that their rules register; add new modules here."""

from validator.rules import (  # noqa: F401
    bf2raw,
    image_label,
    labels,
    multiscales,
    plate,
    well,
)
