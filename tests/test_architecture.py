"""The package's house: layers in data-flow order, no import cycle, nothing heavy at import, modules of a
readable size, and docs/architecture.md naming only modules that exist."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.config import paths

SRC = Path(__import__("benchmarks").__file__).resolve().parent
ROOT = paths().root
#: Layers in data-flow order: a module may import its own layer and those before it, never a later one.
LAYERS = ("_version", "registry", "config", "files", "formats", "progress", "warehouse", "stats", "privacy",
          "intake", "reports", "render", "pipeline", "timing", "cli")
MAX_LINES = 360


def module_name(path: Path) -> str:
    parts = ["benchmarks", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in SRC.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every benchmarks module `name` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        out |= {t for t in targets if t in known and t != name}
    return out


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def layer(name: str) -> int:
    part = name.split(".")[1] if "." in name else ""
    return LAYERS.index(part) if part in LAYERS else -1


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_anywhere():
    assert find_cycle(import_graph()) is None


def test_every_module_sits_in_a_layer_and_imports_only_downwards():
    graph = import_graph()
    unplaced = [m for m in graph if m != "benchmarks" and layer(m) < 0]
    assert not unplaced, f"modules outside the layers of LAYERS: {unplaced}"
    upward = [(m, t) for m, targets in graph.items() for t in targets if m != "benchmarks" and layer(t) > layer(m)]
    assert not upward, "imports pointing up the layer order: " + ", ".join(f"{m} -> {t}" for m, t in upward)


def test_the_layer_check_sees_an_upward_import(tmp_path):
    fake = {"benchmarks.stats.peers": {"benchmarks.reports.plots"}}
    assert [(m, t) for m, ts in fake.items() for t in ts if layer(t) > layer(m)]


@pytest.mark.parametrize("code", ["import benchmarks", "import benchmarks.cli",
                                  "import benchmarks; benchmarks.__version__"])
def test_importing_the_face_or_the_command_loads_neither_pandas_nor_duckdb(code):
    probe = f"{code}; import sys; print(sorted(m for m in ('pandas', 'duckdb', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_face_resolves_its_names_lazily():
    import benchmarks

    assert benchmarks.METRICS[0].name == "devices_per_student"
    assert callable(benchmarks.ingest_files) and callable(benchmarks.leave_one_out)
    with pytest.raises(AttributeError):
        benchmarks.no_such_name  # noqa: B018


def test_modules_are_small_and_say_what_they_are():
    too_long = {n: len(p.read_text().splitlines()) for n, p in modules().items()
                if len(p.read_text().splitlines()) > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"
    undocumented = [n for n, p in modules().items() if not ast.get_docstring(ast.parse(p.read_text()))]
    assert not undocumented


def test_architecture_doc_names_only_modules_that_exist():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"`(benchmarks(?:\.\w+)+)`", doc))
    assert len(named) > 20, "the doc lists the modules by their dotted names"
    missing = sorted(n for n in named if n not in modules())
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"
    # and every module of the package is in the doc
    absent = sorted(n for n in modules() if n not in named and not n.endswith("__init__") and "." in n
                    and n.count(".") >= 1 and not (SRC / Path(*n.split(".")[1:]) / "__init__.py").exists())
    assert not absent, f"modules the doc does not mention: {absent}"


def test_import_depth_stays_shallow():
    """The longest import chain of the package (printed with -s): ten modules deep when the layers were laid."""
    # `python -m benchmarks.cli` enters through a two-line __main__ shim: an entry point, not a layer
    # and the command line is one layer however many files its commands are spread over
    def layer(m: str) -> str:
        return "benchmarks.cli" if m.startswith("benchmarks.cli.") else m

    graph: dict[str, set[str]] = {}
    for m, targets in import_graph().items():
        if m != "benchmarks" and not m.endswith(".__main__"):
            graph.setdefault(layer(m), set()).update(layer(t) for t in targets - {"benchmarks"})
    graph = {m: t - {m} for m, t in graph.items()}
    depth: dict[str, list[str]] = {}

    def chain(m: str) -> list[str]:
        if m not in depth:
            depth[m] = [m, *max((chain(t) for t in graph[m]), key=len, default=[])]
        return depth[m]

    longest = max((chain(m) for m in graph), key=len)
    print(f"\nimport layers: {len(longest)}: " + " -> ".join(x.removeprefix("benchmarks.") for x in longest))
    assert len(longest) <= 11
