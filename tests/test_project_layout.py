"""The project's shape: the audio front end and common/ are the ground floor (they import no stage), the app
and the recogniser import nothing from the builder or the trainer, no import cycle anywhere (static imports,
type-only ones included), every builder module imports on its own, no product function over 60 lines."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "dataset_builder"
PACKAGES = ("frontend", "common", "dataset_builder", "trainer", "recognizer", "heldout")
"""The product's packages (app.py, the Space's entry, is checked beside them)."""
MAX_FUNCTION_LINES = 60


def module_names(packages: tuple[str, ...] = ("dataset_builder",)) -> list[str]:
    names = []
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def project_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports, for every package and the app's modules at the root."""
    known = set(module_names(PACKAGES)) | {p.stem for p in ROOT.glob("app*.py")}
    return {m: imports_of(m, known) for m in known}


def _path(module: str) -> Path:
    base = ROOT.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def imports_of(module: str, known: set[str]) -> set[str]:
    """Builder modules ``module`` imports anywhere in its file, and the packages that importing them runs."""
    path = _path(module)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a and a.b first
                name = ".".join(parts[:i])
                if name in known and name != module and not package.startswith(name):
                    found.add(name)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_import_graph_has_no_cycle():
    graph = project_graph()
    assert "dataset_builder.dsp" in graph["dataset_builder.procedural"]  # the walker sees relative imports
    assert "dataset_builder.rooms" in graph["dataset_builder.augment.room_reverb"]
    assert "frontend.windows" in graph["recognizer.predict"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def _stage(module: str) -> str:
    return module.split(".")[0] if "." in module or module in PACKAGES else "app"


def test_the_front_end_is_the_ground_floor_and_the_app_needs_no_builder():
    allowed = {
        "frontend": {"frontend"},
        "common": {"common"},
        "recognizer": {"recognizer", "frontend", "common"},
        "app": {"app", "recognizer", "frontend", "common"},
        "dataset_builder": {"dataset_builder", "frontend", "common"},
        "heldout": {"heldout", "frontend", "common"},
        "trainer": {"trainer", "frontend", "common", "recognizer", "heldout", "dataset_builder"},
    }
    wrong = [
        f"{module} imports {target}"
        for module, targets in sorted(project_graph().items())
        for target in sorted(targets)
        if _stage(target) not in allowed[_stage(module)]
    ]
    assert not wrong, "; ".join(wrong)


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_imports_on_its_own():
    """Each module first in a clean builder namespace (third-party modules stay loaded, so this is quick)."""
    code = (
        "import importlib, sys\n"
        f"for name in {module_names()!r}:\n"
        "    for loaded in [m for m in sys.modules if m.split('.')[0] == 'dataset_builder']:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
        "print('ok')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]


def test_no_function_is_longer_than_60_lines():
    long = []
    paths = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))] + sorted(ROOT.glob("app*.py"))
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, "split these into named parts: " + "; ".join(long)
