"""Verdicts users can trust (issue 11): three outcomes never conflated, complete by default,
malformed documents are findings, "could not validate" says what was found, and --document
knows what it knows."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.broken_plate import DEFECTS, IN_LABELS, write_broken_plate
from tests.datasets import DatasetSpec, dataset_params
from validator import CouldNotValidate, Report, validate, validate_document
from validator.cli import run
from validator.diagnose import describe_content
from validator.model import Severity
from validator.rules import RULES, Subject, Violation
from validator.rules.registry import Rule
from validator.testing import DataServer, PlateInfo, write_plate


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "validator.cli", "--no-progress", *args],
                          capture_output=True, text=True, timeout=120, check=False, input=stdin)


@pytest.fixture(scope="module")
def broken_plate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_broken_plate(tmp_path_factory.mktemp("broken") / "broken-plate.zarr")


@pytest.fixture(scope="module")
def small_plate(tmp_path_factory: pytest.TempPathFactory) -> PlateInfo:
    units = {"t": "second", "z": "micrometer", "y": "micrometer", "x": "micrometer"}
    return write_plate(tmp_path_factory.mktemp("small") / "plate.zarr", version="0.5", rows=2,
                       columns=2, fields=2, levels=1, units=units)


# -- complete by default ----------------------------------------------------------------------


def test_every_defect_of_the_broken_plate_is_found_with_default_options(
        broken_plate: Path, serve_directory: Callable[..., DataServer]) -> None:
    server = serve_directory(broken_plate.parent)
    report = validate(server.url_for(broken_plate.name))
    found = {f.node for f in report.findings}
    assert found == set(DEFECTS), (set(DEFECTS) - found, found - set(DEFECTS))
    for node, (rule, _) in DEFECTS.items():
        assert rule in {f.rule for f in report.findings if f.node == node}, node
    assert len(found) == 13 and len(IN_LABELS) == 5
    assert report.complete and report.skipped == [] and report.verdict == "invalid"


def test_skipping_the_fields_labels_is_a_triage_the_report_states(broken_plate: Path) -> None:
    report = validate(str(broken_plate), plate_labels=False)
    assert {f.node for f in report.findings} == set(DEFECTS) - IN_LABELS
    assert any("labels" in line and "not checked" in line for line in report.skipped)
    assert report.complete  # asked for: a triage, not a limit


def test_probe_plate_labels_flag_is_still_accepted(broken_plate: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run([str(broken_plate), "--no-progress", "--probe-plate-labels"]) == 1
    full = capsys.readouterr().out
    assert "A/1/1/labels" in full and "(sampled)" not in full
    assert run([str(broken_plate), "--no-progress", "--no-plate-labels"]) == 1
    triage = capsys.readouterr().out
    assert "A/1/1/labels" not in triage.split("INVALID")[0]
    summary = next(line for line in triage.splitlines() if line.startswith("INVALID"))
    assert "(sampled)" in summary and "--no-plate-labels" in triage


# -- three outcomes -------------------------------------------------------------------------


def test_deadline_zero_is_incomplete_exit_2(small_plate: PlateInfo) -> None:
    result = cli(str(small_plate.root), "--deadline", "0")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "INCOMPLETE" in result.stdout and "VALID" not in result.stdout.replace(
        "INVALID", "")
    assert "deadline" in result.stdout
    data = json.loads(cli(str(small_plate.root), "--deadline", "0", "--format", "json").stdout)
    assert (data["complete"], data["valid"]) == (False, False)
    assert any("deadline" in r for r in data["incomplete_reasons"])


def test_a_documents_budget_of_one_is_incomplete(small_plate: PlateInfo) -> None:
    report = validate(str(small_plate.root), max_documents=1)
    assert not report.complete and not report.valid and report.verdict == "incomplete"
    assert any("1 documents" in r for r in report.incomplete_reasons)


@pytest.fixture
def crashing_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A well rule whose check raises, registered for 0.5 for the duration of a test."""

    def crash(ctx: Any) -> Iterator[Violation]:
        raise KeyError("boom")
        yield  # a generator, like every check

    rule = Rule("test.crashes", Severity.ERROR, frozenset({"0.5"}), "well-md", "crashes",
                Subject.WELL_NODE, crash)
    key = (Subject.WELL_NODE, "0.5")
    monkeypatch.setitem(RULES._by_subject, key, [*RULES.for_subject(Subject.WELL_NODE, "0.5"),
                                                  rule])
    yield rule.id


def test_a_crashed_rule_is_an_error_and_makes_the_report_incomplete(
        small_plate: PlateInfo, crashing_rule: str, capsys: pytest.CaptureFixture[str]) -> None:
    report = validate(str(small_plate.root))
    crashed = [f for f in report.findings if f.rule == "engine.rule-crashed"]
    assert len(crashed) == len(small_plate.wells)
    assert all(f.severity is Severity.ERROR for f in crashed)
    assert crashing_rule in crashed[0].message and "KeyError" in crashed[0].message
    assert not report.complete and not report.valid
    assert len(report.incomplete_reasons) == 1  # one per rule and exception, not per node
    assert run([str(small_plate.root), "--no-progress"]) == 2
    out = capsys.readouterr().out
    assert "INCOMPLETE" in out and "KeyError" in out


def test_a_crashed_document_rule_is_incomplete_in_both_modes(
        small_plate: PlateInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(value: Any, ctx: Any) -> Iterator[Violation]:
        raise ValueError("no")
        yield

    rule = Rule("test.doc-crashes", Severity.ERROR, frozenset({"0.5"}), "well-md", "crashes",
                Subject.WELL, crash)
    monkeypatch.setitem(RULES._by_subject, (Subject.WELL, "0.5"),
                        [*RULES.for_subject(Subject.WELL, "0.5"), rule])
    walked = validate(str(small_plate.root))
    one = validate_document((small_plate.root / "A/1/zarr.json").read_bytes())
    for report in (walked, one):
        # The crash is an error finding, but not a violation: the verdict is incomplete.
        assert not report.complete and report.verdict == "incomplete"
        assert any("ValueError" in r for r in report.incomplete_reasons)


def test_sampling_stays_valid_and_says_sampled(small_plate: PlateInfo) -> None:
    for option in (["--sample-wells", "1"], ["--fields", "first"]):
        result = cli(str(small_plate.root), *option)
        assert result.returncode == 0, result.stdout + result.stderr
        summary = next(line for line in result.stdout.splitlines() if line.startswith("VALID"))
        assert "(sampled)" in summary


# -- malformed documents are findings -----------------------------------------------------------


@pytest.mark.parametrize(("version", "name"), [("0.5", "zarr.json"), ("0.4", ".zattrs")])
def test_a_root_document_that_is_not_json_is_invalid_with_line_and_column(
        tmp_path: Path, version: str, name: str) -> None:
    info = write_plate(tmp_path / "p.zarr", version=version, rows=1, columns=1, fields=1,
                       levels=1)
    path = info.root / name
    text = path.read_text()
    path.write_text(text.replace('"', "", 1) if version == "0.5" else text[:-2])
    result = cli(str(info.root))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "io.document.invalid-json" in result.stdout
    assert "line " in result.stdout and "column " in result.stdout
    assert "INVALID" in result.stdout


# -- could not validate: only when there is no dataset, and say what was found -----------------


@pytest.fixture(scope="module")
def odd_targets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("odd")
    (root / "plain.txt").write_text("hello\n")
    (root / "page").mkdir()
    (root / "page" / "index.html").write_text("<!doctype html><title>x</title>")
    (root / "v3").mkdir()
    (root / "v3" / "zarr.json").write_text(json.dumps(
        {"zarr_format": 3, "node_type": "group",
         "attributes": {"ome": {"version": "0.5", "well": {"images": []}}}}))
    return root


def test_could_not_validate_says_what_was_found(
        odd_targets: Path, serve_directory: Callable[..., DataServer]) -> None:
    server = serve_directory(odd_targets)
    missing = cli(server.url_for("nothing.zarr"))
    assert missing.returncode == 2
    assert "404 Not Found at " in missing.stderr and "Zarr v2" not in missing.stderr
    plain = cli(server.url_for("plain.txt"))
    assert plain.returncode == 2 and "plain file" in plain.stderr, plain.stderr
    page = cli(server.url_for("page/index.html"))
    assert page.returncode == 2 and "HTML page" in page.stderr, page.stderr
    # A zip archive is read as a single-file OME-Zarr (RFC 9, validator.ozx) and judged there;
    # were it not, its first bytes name it.
    assert describe_content(b"PK\x03\x04" + bytes(60)) == "a zip archive"
    refused = cli("http://127.0.0.1:9/x.zarr", "--timeout", "2")
    assert refused.returncode == 2 and "could not validate" in refused.stderr


def test_a_v3_dataset_read_as_0_4_names_the_format_it_has(odd_targets: Path) -> None:
    result = cli(str(odd_targets / "v3"), "--ngff-version", "0.4")
    assert "Zarr v2 metadata" not in result.stderr + result.stdout
    assert "zarr.json" in result.stderr + result.stdout


@pytest.mark.parametrize("name", ["zarr.json", ".zattrs", ".zgroup", ".zarray"])
def test_a_metadata_url_is_taken_as_its_group(
        small_plate: PlateInfo, serve_directory: Callable[..., DataServer], name: str) -> None:
    server = serve_directory(small_plate.root.parent)
    url = server.url_for(f"{small_plate.root.name}/{name}")
    result = cli(url, "--format", "json")
    data = json.loads(result.stdout)
    assert data["verdict"] == "valid", result.stderr
    assert any(name in note and "group" in note for note in data["notes"]), data["notes"]
    text = cli(url).stdout
    assert f"/{name}" in text and "group" in text


# -- --document knows what it knows ---------------------------------------------------------


def test_document_without_ome_metadata_cannot_be_validated() -> None:
    result = cli("--document", "-", stdin="{}")
    assert result.returncode == 2
    assert "no OME-NGFF metadata in this document" in result.stderr
    assert "VALID" not in result.stdout


def test_document_rejects_an_arrays_metadata(small_plate: PlateInfo) -> None:
    result = cli("--document", str(small_plate.root / "A/1/0/s0/zarr.json"))
    assert result.returncode == 2 and "array's metadata" in result.stderr
    zarray = json.dumps({"zarr_format": 2, "shape": [1], "chunks": [1], "dtype": "<u2"})
    result = cli("--document", "-", stdin=zarray)
    assert result.returncode == 2 and "array's metadata (.zarray)" in result.stderr


def test_document_summary_names_the_version_and_how_it_was_known(
        small_plate: PlateInfo) -> None:
    declared = cli("--document", str(small_plate.root / "zarr.json"))
    assert declared.returncode == 0, declared.stdout
    assert "NGFF 0.5, Zarr v3" in declared.stdout and "declared by the document" in declared.stdout
    labels = json.dumps({"ome": {"labels": ["cells"]}})
    unknown = cli("--document", "-", stdin=labels)
    assert unknown.returncode == 2 and "--ngff-version" in unknown.stderr
    given = cli("--document", "-", "--ngff-version", "0.5", stdin=labels)
    assert given.returncode == 0 and "given (--ngff-version)" in given.stdout
    assert "hierarchy.version.present" in given.stdout  # as in a walk: a warning
    inferred = cli("--document", "-", stdin=json.dumps({"labels": ["cells"]}))
    assert inferred.returncode == 0 and "NGFF 0.4: inferred" in inferred.stdout
    broken = cli("--document", "-", stdin='{"ome": {"version": "0.5",}}')
    assert broken.returncode == 1 and "line 1, column" in broken.stdout
    assert "None" not in broken.stdout


def test_document_and_walk_agree_on_every_document_of_the_broken_plate(
        broken_plate: Path) -> None:
    _assert_modes_agree(broken_plate, validate(str(broken_plate)))


@pytest.mark.parametrize("spec", dataset_params())
def test_document_and_walk_agree_on_real_writers_documents(
        spec: DatasetSpec, written_datasets: dict[str, Path]) -> None:
    """One severity per rule per version, whichever mode: the documents ome-zarr-py and
    ngff-zarr write (0.5 labels groups without ome.version among them) get the same findings
    from --document as from the walk."""
    root = written_datasets[spec.id]
    _assert_modes_agree(root, validate(str(root)))


def _document_rules(report: Report, node: str, document: str) -> set[tuple[str, str, str]]:
    """The findings of ``node``'s attributes that a single document can give."""
    return {(f.rule, f.severity.value, f.pointer) for f in report.findings
            if f.node == node and f.document in (document, "")
            and (RULES.get(f.rule) is None or RULES[f.rule].check is None
                 or RULES[f.rule].subject is None or RULES[f.rule].subject.is_document
                 or f.rule == "hierarchy.version.present")}


def _assert_modes_agree(root: Path, walked: Report) -> None:
    """Every group document of a walked dataset, run through --document with the walk's
    version, gives the same document findings (rule, severity, pointer) as the walk."""
    name = "zarr.json" if walked.zarr_format == 3 else ".zattrs"
    checked = 0
    for path in sorted(root.rglob(name)):
        node = "" if path.parent == root else path.parent.relative_to(root).as_posix()
        data = json.loads(path.read_text())
        if data.get("node_type") == "array" or (path.parent / ".zarray").exists():
            continue
        attributes = data.get("attributes", {}) if walked.zarr_format == 3 else data
        if not attributes:
            continue  # a row group: no OME metadata, nothing for --document to judge
        try:
            alone = validate_document(path.read_bytes(), version=walked.ngff_version)
        except CouldNotValidate:
            continue
        walk_side = _document_rules(walked, node, name)
        doc_side = {(f.rule, f.severity.value, f.pointer) for f in alone.findings}
        assert doc_side == walk_side, (node, doc_side ^ walk_side)
        assert alone.verdict == ("invalid" if any(s == "error" for _, s, _ in walk_side)
                                 else "valid"), node
        checked += 1
    assert checked


# -- a plain metadata walk imports only what it needs ---------------------------------------------


def test_a_plain_walk_imports_no_service_ome_xml_zarr_aiohttp_or_python_jsonschema(
        small_plate: PlateInfo, serve_directory: Callable[..., DataServer]) -> None:
    server = serve_directory(small_plate.root.parent)
    code = (
        "import sys\n"
        "from validator.cli import run\n"
        f"code = run([{server.url_for(small_plate.root.name)!r}, '--no-progress', "
        "'--format', 'json'])\n"
        "heavy = {'fastapi', 'starlette', 'uvicorn', 'api', 'xmlschema', 'zarr', 'jsonschema',"
        " 'numpy', 'fsspec', 'aiohttp', 'yarl', 'multidict'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]", result.stderr
