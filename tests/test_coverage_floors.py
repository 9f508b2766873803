"""The coverage floors `make test` enforces (tools/coverage_floors.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

TOOL = Path(__file__).resolve().parent.parent / "tools" / "coverage_floors.py"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("coverage_floors", TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_strict_packages_need_every_line_and_the_rest_ninety_percent() -> None:
    tool = _tool()
    figures = {"security/guard.py": 99.0, "review/pages.py": 91.0, "notes/llm.py": 89.0}
    failures = tool.check(figures, {})
    assert [f.split(":")[0] for f in failures] == ["security/guard.py", "notes/llm.py"]


def test_the_ratchet_holds_a_file_at_its_recorded_floor_and_never_above_its_target() -> None:
    tool = _tool()
    floors = {"triage/escalation.py": 83.0, "review/pages.py": 95.0}
    assert tool.check({"triage/escalation.py": 84.0, "review/pages.py": 90.0}, floors) == []
    failing = tool.check({"triage/escalation.py": 82.9, "review/pages.py": 90.0}, floors)
    assert [f.split(":")[0] for f in failing] == ["triage/escalation.py"]


def test_the_training_code_is_held_to_its_target_only_where_its_tests_ran() -> None:
    tool = _tool()
    figures = {"risk/train.py": 20.0, "risk/reader.py": 95.0}
    # With the training extra (CI) the training code is checked like any other file...
    assert [f.split(":")[0] for f in tool.check(tool.checked(figures, True), {})] == [
        "risk/train.py"
    ]
    # ... without it its tests were skipped: it is left out, and nothing else is.
    assert tool.checked(figures, False) == {"risk/reader.py": 95.0}
    assert tool.check(tool.checked(figures, False), {}) == []


def test_the_recorded_ratchet_only_names_real_files_below_their_target() -> None:
    tool = _tool()
    floors = json.loads(tool.FLOORS_FILE.read_text())
    package = TOOL.parent.parent / "src" / "alongside"
    for name, floor in floors.items():
        assert (package / name).is_file(), name
        assert floor < tool.target_for(name), name


def test_several_runs_record_each_files_lowest_figure() -> None:
    tool = _tool()
    sqlite = {"audit/chain.py": 100.0, "db.py": 93.0}
    postgres = {"audit/chain.py": 97.5, "db.py": 95.0, "sqltools.py": 80.0}
    assert tool.lowest([sqlite, postgres]) == {
        "audit/chain.py": 97.5,
        "db.py": 93.0,
        "sqltools.py": 0.0,
    }


def _run_covering(tool: ModuleType, data_file: Path, name: str, lines: set[int]) -> None:
    """A coverage data file in which only `lines` of the package's file `name` ran."""
    import coverage

    data = coverage.CoverageData(basename=str(data_file))
    data.add_lines({str(TOOL.parent.parent / "src" / "alongside" / name): lines})
    data.write()


def test_the_union_holds_a_strict_file_at_every_line_over_both_databases(tmp_path: Path) -> None:
    import coverage

    tool = _tool()
    name = "crypto/errors.py"
    path = TOOL.parent.parent / "src" / "alongside" / name
    _, statements, _, _, _ = coverage.Coverage().analysis2(str(path))
    assert len(statements) >= 2
    half = len(statements) // 2
    sqlite, postgres = tmp_path / "sqlite", tmp_path / "postgres"
    _run_covering(tool, sqlite, name, set(statements[:half]))
    _run_covering(tool, postgres, name, set(statements[half:]))
    # Each run alone is short of 100% on that file; together every line ran.
    assert tool.measured(sqlite)[name] < 100.0
    assert tool.measured(postgres)[name] < 100.0
    together = tool.union([sqlite, postgres], tmp_path / "union")
    assert together[name] == 100.0
    assert name not in " ".join(tool.check_union(together))
    # A line that ran in neither run fails the check, naming the file.
    short = tmp_path / "short"
    _run_covering(tool, short, name, set(statements[1:]))
    failing = tool.check_union(tool.union([short, short], tmp_path / "union-short"))
    assert any(line.startswith(f"{name}:") for line in failing)
    # Files outside the strict packages are not held at 100% by the union.
    assert not any(line.startswith("db.py:") for line in failing)
    assert sqlite.exists()  # the runs' own data is kept
    assert postgres.exists()
