"""Generate the cases of the bioformats2raw, series and OME-XML rules.

    python -m tests.cases._gen_bf2raw

Rules: bf2raw.* (tests/cases/bf2raw.*), series.*, and the schema rules of the bf2raw and
series schemas. Each tree is a small bioformats2raw collection built with tests.casekit.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.casekit import Tree, add_group, add_image, ome_of, plate_tree, write_case

VERSIONS = ("0.4", "0.5")
NS = "http://www.openmicroscopy.org/Schemas/OME/2016-06"


def ome_xml(images: int, pixels: str = "<MetadataOnly/>", extra: str = "",
            namespace: str = NS) -> str:
    """A small valid OME-XML document with ``images`` Image elements (as bioformats2raw)."""
    body = "".join(
        f'<Image ID="Image:{i}" Name="series {i}"><Pixels ID="Pixels:{i}" '
        'DimensionOrder="XYZCT" Type="uint8" SizeX="64" SizeY="64" SizeZ="1" SizeC="1" '
        f'SizeT="1" BigEndian="true"><Channel ID="Channel:{i}:0" SamplesPerPixel="1">'
        f"<LightPath/></Channel>{pixels}</Pixels></Image>"
        for i in range(images)
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<OME xmlns="{namespace}" '
            'Creator="tests">' + body + extra + "</OME>\n")


def bf2raw_tree(version: str, images: int = 2, series: list[Any] | None = None,
                xml: str | None = None, with_ome_group: bool = True) -> Tree:
    """A valid collection: root, OME group with ``series`` (default "0", "1", ...), images."""
    tree: Tree = {}
    add_group(tree, "", version, {"bioformats2raw.layout": 3})
    if with_ome_group:
        listed = [str(i) for i in range(images)] if series is None else series
        add_group(tree, "OME", version, {"series": listed})
    tree["OME/METADATA.ome.xml"] = ome_xml(images) if xml is None else xml
    for i in range(images):
        add_image(tree, str(i), version)
    return tree


def bf2raw_plate(version: str, series: bool = True) -> Tree:
    """A valid plate collection (2x2 wells, 1 field each) with matching series and XML."""
    tree = plate_tree(version, rows=2, columns=2, fields=1)
    ome_of(tree, "", version)["bioformats2raw.layout"] = 3
    fields = [f"{r}/{c}/0" for r in "AB" for c in "12"]
    if series:
        add_group(tree, "OME", version, {"series": fields})
    tree["OME/METADATA.ome.xml"] = ome_xml(len(fields))
    return tree


def ptr(version: str, *tokens: str | int) -> str:
    """The JSON pointer of an OME metadata member in a group's document."""
    base = "/attributes/ome" if version == "0.5" else ""
    return base + "".join(f"/{t}" for t in tokens)


# Where OME-XML findings are: the OME group's METADATA.ome.xml, as a whole.
XML_AT = {"node": "OME", "document": "METADATA.ome.xml", "pointer": ""}


def case(rule: str, name: str, version: str, tree: Tree, description: str,
         expect: list[dict[str, Any]] | None = None, valid: bool | None = None) -> None:
    data: dict[str, Any] = {"description": description, "tree": tree}
    if expect:
        data["expect"] = expect
    if valid is not None:
        data["valid"] = valid
    write_case(rule, f"{name.split('-', 1)[0]}-{version}" + (
        f"-{name.split('-', 1)[1]}" if "-" in name else ""), version, data)


def generate() -> None:
    for v in VERSIONS:
        valid = bf2raw_tree(v)
        no_series = bf2raw_tree(v, with_ome_group=False)

        # -- bf2raw.ome-xml.present ------------------------------------------------------
        rid = "bf2raw.ome-xml.present"
        case(rid, "pass", v, valid, "a collection with its OME-XML", valid=True)
        tree = copy.deepcopy(valid)
        del tree["OME/METADATA.ome.xml"]
        case(rid, "fail-no-xml", v, tree, "no OME/METADATA.ome.xml",
             [{"rule": rid, **XML_AT, "severity": "warning"}], valid=True)

        # -- bf2raw.ome-xml.valid --------------------------------------------------------
        rid = "bf2raw.ome-xml.valid"
        case(rid, "pass", v, valid, "well-formed OME-XML, valid against the 2016-06 schema",
             valid=True)
        broken = {
            "not-well-formed": ome_xml(2)[:-10],
            "schema": ome_xml(2).replace(' SizeX="64"', ""),
            "root": '<?xml version="1.0"?><Image xmlns="http://example.org/"/>',
            "entities": ('<?xml version="1.0"?><!DOCTYPE OME [<!ENTITY a "aaaaaaaaaa">'
                         '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                         f'<OME xmlns="{NS}">&b;</OME>'),
        }
        names = ("not-well-formed", "schema") if v == "0.4" else ("root", "entities")
        for what in names:
            tree = copy.deepcopy(valid)
            tree["OME/METADATA.ome.xml"] = broken[what]
            case(rid, f"fail-{what}", v, tree, f"OME-XML problem: {what}",
                 [{"rule": rid, **XML_AT}], valid=False)

        # -- bf2raw.ome-xml.metadata-only ------------------------------------------------
        rid = "bf2raw.ome-xml.metadata-only"
        case(rid, "pass", v, valid, "every Pixels has <MetadataOnly/>", valid=True)
        tree = copy.deepcopy(valid)
        if v == "0.4":
            tree["OME/METADATA.ome.xml"] = ome_xml(
                2, pixels='<TiffData IFD="0" PlaneCount="1"/>')
            what = "TiffData in Pixels (schema-valid, but not allowed here)"
        else:
            tree["OME/METADATA.ome.xml"] = ome_xml(
                2, pixels='<BinData BigEndian="true" Length="0"></BinData>')
            what = "BinData in Pixels (schema-valid, but not allowed here)"
            binary_only = copy.deepcopy(valid)
            binary_only["OME/METADATA.ome.xml"] = (
                f'<?xml version="1.0"?><OME xmlns="{NS}"><BinaryOnly MetadataFile="x.ome.xml" '
                'UUID="urn:uuid:00000000-0000-0000-0000-000000000000"/></OME>')
            case(rid, "fail-binary-only", v, binary_only, "a BinaryOnly stub, no Images",
                 [{"rule": rid, **XML_AT}], valid=False)
        case(rid, "fail", v, tree, what, [{"rule": rid, **XML_AT}],
             valid=False)

        # -- bf2raw.ome-xml.image-count --------------------------------------------------
        rid = "bf2raw.ome-xml.image-count"
        case(rid, "pass", v, valid, "two series, two Images", valid=True)
        case(rid, "pass-numbered", v, no_series, "no OME group; groups 0, 1 and two Images",
             valid=True)
        case(rid, "pass-plate", v, bf2raw_plate(v), "four fields, four Images", valid=True)
        tree = copy.deepcopy(valid)
        tree["OME/METADATA.ome.xml"] = ome_xml(3)
        case(rid, "fail-series", v, tree, "series lists 2 images, the OME-XML has 3",
             [{"rule": rid, "node": "OME", "pointer": ptr(v, "series")}], valid=False)
        tree = copy.deepcopy(no_series)
        tree["OME/METADATA.ome.xml"] = ome_xml(1)
        case(rid, "fail-numbered", v, tree, "groups 0 and 1 but one Image",
             [{"rule": rid, "node": "", "pointer": ptr(v)}], valid=False)
        tree = bf2raw_plate(v, series=False)
        tree["OME/METADATA.ome.xml"] = ome_xml(3)
        case(rid, "fail-plate", v, tree, "four plate fields, three Images",
             [{"rule": rid, "node": "", "pointer": ptr(v)}], valid=False)

        # -- bf2raw.images.consecutive ---------------------------------------------------
        rid = "bf2raw.images.consecutive"
        case(rid, "pass", v, no_series, "no series: images in groups 0 and 1", valid=True)
        tree = copy.deepcopy(no_series)
        for key in [k for k in tree if k.startswith("1/")]:
            del tree[key]
        add_group(tree, "1", v, {})
        tree["1/" + ("zarr.json" if v == "0.5" else ".zattrs")] = (
            {"zarr_format": 3, "node_type": "group", "attributes": {"ome": {"version": "0.5"}}}
            if v == "0.5" else {"note": "not an image"})
        case(rid, "fail-not-image", v, tree, "group 1 is a group without multiscales",
             [{"rule": rid, "node": "1", "pointer": ptr(v)}], valid=False)
        tree = {k: val for k, val in no_series.items() if not k.startswith("0/")}
        tree["OME/METADATA.ome.xml"] = ome_xml(0)
        case(rid, "fail-no-zero", v, tree, "no series and no group 0 (only group 1)",
             [{"rule": rid, "node": "", "pointer": ptr(v)}], valid=False)

        # -- series.images.exist ---------------------------------------------------------
        rid = "series.images.exist"
        case(rid, "pass", v, valid, "every series entry is an image", valid=True)
        tree = bf2raw_tree(v, series=["0", "2"])
        case(rid, "fail-missing", v, tree, "series entry '2' names no group",
             [{"rule": rid, "node": "OME", "pointer": ptr(v, "series", 1)}], valid=False)
        tree = bf2raw_tree(v, series=["0", "1", "2"], xml=ome_xml(3))
        add_group(tree, "2", v, {})
        case(rid, "fail-not-image", v, tree, "series entry '2' is a group but not an image",
             [{"rule": rid, "node": "OME", "pointer": ptr(v, "series", 2)}], valid=False)

        # -- series.paths.unique ---------------------------------------------------------
        rid = "series.paths.unique"
        case(rid, "pass", v, valid, "two distinct series entries", valid=True)
        tree = bf2raw_tree(v, series=["0", "1", "0"], xml=ome_xml(3))
        case(rid, "fail", v, tree, "group 0 is listed twice",
             [{"rule": rid, "node": "OME", "pointer": ptr(v, "series", 2)}], valid=False)

        # -- bf2raw.plate.series ---------------------------------------------------------
        rid = "bf2raw.plate.series"
        case(rid, "pass", v, bf2raw_plate(v), "series lists the plate's four fields",
             valid=True)
        case(rid, "fail-absent", v, bf2raw_plate(v, series=False),
             "a bioformats2raw plate without series",
             [{"rule": rid, "node": "", "pointer": ptr(v, "plate"), "severity": "warning"}],
             valid=True)
        tree = bf2raw_plate(v)
        ome_of(tree, "OME", v)["series"] = ["A/1/0", "A/2/0", "B/1/0", "B/2/1"]
        case(rid, "fail-mismatch", v, tree, "series names B/2/1 instead of the field B/2/0",
             [{"rule": rid, "node": "OME", "pointer": ptr(v, "series", 3)},
              {"rule": rid, "node": "OME", "pointer": ptr(v, "series")}])

        # -- schema rules of the bf2raw and series schemas -------------------------------
        rid = "bf2raw.layout.value"
        case(rid, "pass", v, valid, "bioformats2raw.layout is 3", valid=True)
        tree = copy.deepcopy(valid)
        ome_of(tree, "", v)["bioformats2raw.layout"] = 2
        case(rid, "fail", v, tree, "bioformats2raw.layout is 2",
             [{"rule": rid, "node": "", "pointer": ptr(v, "bioformats2raw.layout")}],
             valid=False)
        rid = "series.value.list"
        case(rid, "pass", v, valid, "series is a list of strings", valid=True)
        tree = copy.deepcopy(valid)
        bad: Any = "0" if v == "0.4" else [0, 1]
        ome_of(tree, "OME", v)["series"] = bad
        pointer = ptr(v, "series") if v == "0.4" else ptr(v, "series", 0)
        case(rid, "fail", v, tree, f"series is {bad!r}",
             [{"rule": rid, "node": "OME", "pointer": pointer}], valid=False)


if __name__ == "__main__":
    generate()
