"""Every rule's passing and failing fixtures (see tests/rule_cases.py for the format)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rule_cases import RuleCase, load_cases, materialize
from tests.zipkit import write_zip
from validator import Report, validate, validate_document
from validator.rules import RULES

CASES = load_cases()


def run_case(case: RuleCase, tmp_path: Path) -> Report:
    data = case.data
    strict = bool(data.get("strict", False))
    if "document" in data:
        return validate_document(data["document"], version=case.version, strict=strict)
    if "zip" in data:
        root = write_zip(data["zip"], tmp_path)
    else:
        root = materialize(data["tree"], tmp_path / "dataset.zarr")
    return validate(str(root), strict=strict, ngff_version=data.get("ngff_version"),
                    **data.get("options", {}))


def matches(finding: dict[str, str], expected: dict[str, str]) -> bool:
    return all(finding.get(key) == value for key, value in expected.items())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case: RuleCase, tmp_path: Path) -> None:
    assert case.rule in RULES, f"{case.path}: no rule {case.rule!r} in the catalogue"
    assert case.name.split("-")[1] == case.version, f"{case.path}: name and version disagree"
    report = run_case(case, tmp_path)
    findings = [f.to_dict() for f in report.findings]
    crashed = [f for f in findings if f["rule"] == "engine.rule-crashed"]
    assert not crashed, crashed
    fired = [f for f in findings if f["rule"] == case.rule]
    if case.passing:
        assert not fired, f"{case.rule} fired on a passing case: {fired}"
    else:
        assert fired, f"{case.rule} did not fire; findings: {findings}"
    for expected in case.data.get("expect", []):
        assert any(matches(f, expected) for f in findings), (
            f"expected {expected}; findings: {findings}"
        )
    if "valid" in case.data:
        assert report.valid is case.data["valid"], findings


def test_every_rule_has_cases_in_each_version() -> None:
    """Each rule of the catalogue has a passing and a failing case in every version."""
    have = {(c.rule, c.version, c.passing) for c in CASES}
    missing = [
        f"{r.id} {v} {'pass' if passing else 'fail'}"
        for r in RULES
        for v in sorted(r.versions)
        for passing in (True, False)
        if (r.id, v, passing) not in have and r.id not in UNTESTABLE_HERE
    ]
    assert not missing, "rules without cases:\n" + "\n".join(missing)


# Rules whose failing case cannot be a static fixture; each is tested elsewhere by name.
UNTESTABLE_HERE = {
    "io.document.unreadable": "tests/test_builtin_rules.py (a server answering 500)",
    "io.document.too-large": "tests/test_builtin_rules.py (a lowered max_document_bytes)",
    "ome.version.unsupported": "tests/test_builtin_rules.py (validate_document only: a walk "
    "stops with CouldNotValidate on such a root)",
    "io.url.refused": "tests/test_api_ssrf.py",
    "engine.rule-crashed": "never expected; asserted absent in every case",
}
