"""Rules on the transitional ``omero`` rendering metadata beyond its shape.

The omero schema checks what the section's MUST sentences ask of one document (``channels``,
each channel's ``color`` and ``window`` with ``min``, ``max``, ``start`` and ``end``). What is
left comes from the commented example of the section, so these rules are warnings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from validator.model import Severity
from validator.rules.context import DocContext, ImageContext
from validator.rules.multiscale_links import image_axes
from validator.rules.registry import Subject, Violation, rule

_MODELS = ("color", "greyscale")


def _channel_axis(multiscale: Any) -> int | None:
    """The index of the one axis of type "channel", if there is exactly one."""
    axes = image_axes(multiscale) if isinstance(multiscale, Mapping) else None
    if not isinstance(axes, list):
        return None
    found = [k for k, axis in enumerate(axes)
             if isinstance(axis, Mapping) and axis.get("type") == "channel"]
    return found[0] if len(found) == 1 else None


@rule(
    "omero.channels.count-matches-axis",
    severity=Severity.WARNING,
    subject=Subject.IMAGE_NODE,
    anchor="omero-md",
    summary="omero lists one channel per entry of the image's channel axis.",
    versions=("0.4", "0.5", "0.6"),
)
def channels_match_axis(ctx: ImageContext) -> Iterator[Violation]:
    """"channels": [ # Array matching the c dimension size

    The section's example says so in a comment, not in a MUST: a warning. The c dimension is
    the axis of type "channel" of the first multiscale (rules skip images with none, or more
    than one), and its size is read from the array of the first dataset."""
    omero = ctx.ome.get("omero")
    channels = omero.get("channels") if isinstance(omero, Mapping) else None
    multiscales = ctx.ome.get("multiscales")
    if not isinstance(channels, list) or not isinstance(multiscales, list) or not multiscales:
        return
    first = multiscales[0]
    axis = _channel_axis(first)
    datasets = first.get("datasets") if isinstance(first, Mapping) else None
    if axis is None or not isinstance(datasets, list) or not datasets:
        return
    path = datasets[0].get("path") if isinstance(datasets[0], Mapping) else None
    info = ctx.arrays.get(path) if isinstance(path, str) else None
    if info is None or info.shape is None or axis >= len(info.shape):
        return
    size = info.shape[axis]
    if len(channels) != size:
        yield Violation(
            f"omero lists {len(channels)} channel{'s' if len(channels) != 1 else ''} but the "
            f"channel axis has size {size}",
            ("omero", "channels"),
        )


@rule(
    "omero.rdefs.model",
    severity=Severity.WARNING,
    subject=Subject.OMERO,
    anchor="omero-md",
    summary="omero rdefs.model is \"color\" or \"greyscale\".",
    versions=("0.4", "0.5", "0.6"),
)
def rdefs_model(omero: Any, ctx: DocContext) -> Iterator[Violation]:
    """"model": "color" # "color" or "greyscale"

    From the comment in the section's example (a warning, like every rule that comes from
    a comment). Only checked when ``rdefs.model`` is present."""
    rdefs = omero.get("rdefs") if isinstance(omero, Mapping) else None
    if not isinstance(rdefs, Mapping) or "model" not in rdefs:
        return
    model = rdefs["model"]
    if model not in _MODELS:
        yield Violation(f"rdefs.model is {model!r}; it should be \"color\" or \"greyscale\"",
                        ("rdefs", "model"))
