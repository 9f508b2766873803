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
