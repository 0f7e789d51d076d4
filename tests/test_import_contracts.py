"""The import contracts hold: imports run with the data flow and no module imports itself back.

The contracts are written once, in pyproject.toml ([tool.importlinter]); `make lint` runs them
too. Function-level imports count: a loop through `def f(): from app.x import y` is a loop.
"""

import subprocess
import sys
from pathlib import Path

import grimp
from importlinter.api import read_configuration

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"


def _contract(contract_id: str) -> dict:
    contracts = read_configuration(str(PYPROJECT))["contracts_options"]
    return next(contract for contract in contracts if contract.get("id") == contract_id)


def _graph() -> grimp.ImportGraph:
    sys.path.insert(0, str(ROOT))
    try:
        return grimp.build_graph("app", cache_dir=None)
    finally:
        sys.path.remove(str(ROOT))


def _cycles(graph: grimp.ImportGraph, ignored: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, without recursion)."""
    successors = {
        module: sorted(
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if (module, imported) not in ignored
        )
        for module in graph.modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(successors):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            module, position = work.pop()
            if position == 0:
                index[module] = low[module] = len(index)
                stack.append(module)
                on_stack.add(module)
            if position < len(successors[module]):
                work.append((module, position + 1))
                following = successors[module][position]
                if following not in index:
                    work.append((following, 0))
                elif following in on_stack:
                    low[module] = min(low[module], index[following])
                continue
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
    return found


def test_the_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_imports_itself_back():
    """No cycle among single modules, inside a package or across packages. The imports the
    contracts ignore until their replacement lands are left out."""
    ignored = {
        tuple(part.strip() for part in expression.split("->"))
        for expression in _contract("layers").get("ignore_imports", [])
    }
    graph = _graph()

    cycles = _cycles(graph, ignored)

    described = [
        " <-> ".join(cycle)
        + "\n    "
        + "\n    ".join(
            f"{importer} -> {imported}"
            for importer in cycle
            for imported in sorted(graph.find_modules_directly_imported_by(importer))
            if imported in cycle and (importer, imported) not in ignored
        )
        for cycle in cycles
    ]
    assert not cycles, "import cycles:\n" + "\n".join(described)


def test_every_package_has_its_place_in_the_layers():
    """A new package (or a new module directly in app/ or app/core/) is placed in a layer,
    so that the contract checks it."""
    layered = {
        name.strip().strip("()")
        for layer in _contract("layers")["layers"]
        for name in layer.replace("|", ":").split(":")
    }
    graph = _graph()
    # app.core is split between the top and the bottom layers, module by module.
    children = (graph.find_children("app") - {"app.core"}) | graph.find_children("app.core")

    assert sorted(children - layered) == []
