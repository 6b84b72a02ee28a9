"""The held-out simulator shares no code with the training chain: it imports nothing from it."""

import ast
from pathlib import Path

HELDOUT = Path(__file__).resolve().parents[1] / "heldout"
FORBIDDEN = ("dataset_builder", "trainer", "recognizer", "pyroomacoustics", "audiomentations", "tests")
"""The training chain (builder capture, transforms, backgrounds, procedural music), its libraries, and the rest."""


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.add(node.module or "")
    return modules


def test_heldout_imports_nothing_from_the_training_chain():
    files = sorted(HELDOUT.glob("*.py"))
    assert len(files) >= 10
    offending = {
        f"{path.name}: {module}"
        for path in files
        for module in imported_modules(path)
        if module.split(".")[0] in FORBIDDEN
    }
    assert not offending, f"heldout/ must not import the training chain: {sorted(offending)}"


def test_the_check_sees_an_import_of_the_chain(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from dataset_builder.capture import Loudspeaker\nimport pyroomacoustics as pra\n")
    assert imported_modules(sample) == {"dataset_builder.capture", "pyroomacoustics"}
