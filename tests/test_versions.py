"""The version registry is the one place that says which NGFF releases exist and how."""

from __future__ import annotations

import pytest

from api.models import ValidateRequest
from api.routers.meta import NGFF_VERSIONS
from validator import cli, schemas
from validator import versions as ngff
from validator.document import SUPPORTED
from validator.model import Severity
from validator.options import Options
from validator.rules import RULES, Subject, rule
from validator.rules.registry import declare


def test_every_consumer_reads_the_registry() -> None:
    ids = ngff.ids()
    assert ids == tuple(v.id for v in ngff.RELEASES if v.supported)
    assert ids == SUPPORTED and ids == schemas.SUPPORTED_VERSIONS
    assert list(ids) == NGFF_VERSIONS
    version_action = next(a for a in cli.build_parser()._actions if a.dest == "ngff_version")
    assert tuple(version_action.choices or ()) == ids
    schema = ValidateRequest.model_json_schema()["properties"]["ngff_version"]["anyOf"][0]
    assert schema["enum"] == list(ids)
    for version in ids:
        assert Options(ngff_version=version).ngff_version == version
        assert set(schemas._KINDS_BY_VERSION[version]) == set(ngff.get(version).schema_kinds)


def test_known_but_unsupported_releases_are_refused() -> None:
    unsupported = [v.id for v in ngff.RELEASES if not v.supported]
    for version in unsupported:
        assert ngff.find(version) is None
        with pytest.raises(ValueError, match="unsupported NGFF version"):
            Options(ngff_version=version)


@pytest.mark.parametrize("record", ngff.RELEASES, ids=lambda r: r.id)
def test_records_are_consistent(record: ngff.SpecVersion) -> None:
    assert record.tags[0] == record.id
    assert record.zarr_format in (2, 3)
    # The OME metadata lives under "ome" exactly when the release is stored as Zarr v3.
    assert (record.ome_key == "ome") == (record.zarr_format == 3)
    assert record.spec_url("metadata") == f"{ngff.SPEC_SITE}/{record.id}/#metadata"


def test_tags_resolve_to_supported_releases() -> None:
    for record in ngff.supported():
        for tag in record.tags:
            assert ngff.resolve(tag) == (record, False)
    assert ngff.resolve("0.3") == (None, False)
    assert ngff.resolve("nonsense") == (None, False)


def test_pre_release_tags_match_their_release_only() -> None:
    six = ngff.get("0.6")
    assert six.dev_tags is not None
    assert six.dev_tags.match("0.6.dev3")
    assert not six.dev_tags.match("0.6.dev")
    assert not six.dev_tags.match("0.60.dev1")
    expected = (six, True) if six.supported else (None, False)
    assert ngff.resolve("0.6.dev2") == expected


def test_anchors_renamed_in_a_release_are_mapped() -> None:
    assert ngff.get("0.6").spec_url("multiscale-md").endswith("/0.6/#multiscales-md")
    assert ngff.get("0.5").spec_url("multiscale-md").endswith("/0.5/#multiscale-md")


def test_zarr_format_rules_follow_the_releases_stored_in_that_format() -> None:
    assert set(RULES["array.order.valid"].versions) == set(ngff.with_zarr_format(2))
    assert set(RULES["array.codecs.valid"].versions) == set(ngff.with_zarr_format(3))
    assert ngff.undeclared(2).zarr_format == 2 and ngff.undeclared(3).zarr_format == 3


def test_rules_must_name_their_versions() -> None:
    with pytest.raises(ValueError, match="names no version"):
        rule("test.no-version", severity=Severity.ERROR, subject=Subject.OME, anchor="x",
             summary="x")(lambda value, ctx: ())
    with pytest.raises(ValueError, match="not both"):
        declare("test.both", severity=Severity.ERROR, anchor="x", summary="x",
                versions=("0.4",), zarr_formats=(2,))
    assert "test.no-version" not in RULES and "test.both" not in RULES


def test_newest_uses_registry_order() -> None:
    assert ngff.newest(frozenset({"0.4", "0.5"})) == "0.5"
    assert ngff.newest(("0.5", "0.6")) == "0.6"


def test_node_kinds_table_is_keyed_by_ome_metadata_keys() -> None:
    from validator.document import OME_KEYS
    from validator.walk.visitors import NODE_KINDS

    keys = [entry.key for entry in NODE_KINDS]
    assert len(keys) == len(set(keys))
    assert set(keys) <= set(OME_KEYS)
    for entry in NODE_KINDS:
        assert set(entry.unless) <= set(keys) - {entry.key}
