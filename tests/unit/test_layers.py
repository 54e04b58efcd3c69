"""Dependencies point inward (DEVELOPERS.md, "Shape"): every module's imports are read (with `ast`, imports inside
functions included) and checked against four rules:

- layers: a module imports from its own component (a top-level package or module of trialfinder: `web`, `cli`,
  `storage` ...) or from a component of a lower layer, never from a higher layer nor from another component of its
  own layer (`queries` and `actions` are independent of each other; `SANCTIONED` names the exceptions), and a closed
  component (`storage`) only from the layer just above it;
- no cycles between modules. Imports under `if TYPE_CHECKING:` are left out of this rule only (they never run; they
  still count for the other two);
- no private names across modules: no `from m import _name`, no `m._name` on an imported module (dunders such as
  `__version__` are public);
- kept apart: a few components never import another one whose work belongs to a third, whatever their layers
  (`KEPT_APART`): signed tokens are made and opened by `actions`, so `web` imports nothing of `signing` and calls no
  signer's `sign` or `verify` (it hands the signer to the actions).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT

PACKAGE = "trialfinder"
SOURCE = PROJECT_ROOT / "src" / PACKAGE

# The layers, lowest first. `__init__` is the package's own module (its version); `__main__` is `python -m`.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__init__", "domain", "filemodes", "signing"),
    ("settings", "eligibility", "geo", "registries", "concepts"),
    ("views", "overview", "facts"),
    ("notifications", "matching"),
    ("storage",),
    ("queries", "actions"),
    ("web", "cli"),
    ("__main__",),
)
LAYER = {component: rank for rank, components in enumerate(LAYERS) for component in components}
# Components reached only from the layer just above: web and cli read and write the catalogue through queries and
# actions, never through storage itself.
CLOSED = {"storage"}

# Imports between the components of one layer that the shape allows.
SANCTIONED: dict[tuple[str, str], str] = {
    ("trialfinder.cli", "trialfinder.web.app"): "`trialfinder serve` runs the website",
}
# The modules of a closed component that every higher layer may import: web and cli are where the program is wired
# together, and they hold the database handle, open units of work on it and turn its errors into a 503 or an exit
# code. Every SQL statement stays in storage, reached only through queries and actions.
OPEN: dict[str, str] = {
    "trialfinder.storage.database": "the database handle (Database, its units of work, its errors)",
}
# Components that never import another (importer, imported), though the layers would allow it, and why.
KEPT_APART: dict[tuple[str, str], str] = {
    ("web", "signing"): "signed tokens are made and opened by the actions (actions/signed_links.py); web shows the "
    "state they report, and only hands the signer over",
}
# Outward imports that other work removes; each entry must still exist and still be outward, so the list only shrinks.
KNOWN_OUTWARD: set[tuple[str, str]] = set()
# Import cycles that other work removes, each as the set of its modules; the same rule applies.
KNOWN_CYCLES: set[frozenset[str]] = set()


@dataclass(frozen=True, slots=True)
class Import:
    """One module's use of another: `names` are what it takes from it (empty for `import m`)."""

    module: str
    target: str
    line: int
    names: tuple[str, ...] = ()
    runtime: bool = True  # False under `if TYPE_CHECKING:`


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def component(module: str) -> str:
    """`trialfinder.web.pages` -> `web`, `trialfinder.cli` -> `cli`, `trialfinder` -> `__init__`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def read_imports(module: str, source: str, *, is_package: bool, modules: set[str]) -> list[Import]:
    """Every import of a trialfinder module in `source` (the text of `module`), with what it takes from it. A name
    imported from a package that is one of its submodules (`from trialfinder.overview import builtin`) is an import
    of that submodule."""
    tree = ast.parse(source)
    type_checking = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found: list[Import] = []
    aliases: dict[str, str] = {}  # a name bound to a trialfinder module -> the module
    for node in ast.walk(tree):
        runtime = id(node) not in type_checking
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    found.append(Import(module, alias.name, node.lineno, runtime=runtime))
                    if alias.asname:
                        aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node, is_package)
            if base != PACKAGE and not base.startswith(PACKAGE + "."):
                continue
            names = []
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in modules:
                    found.append(Import(module, submodule, node.lineno, runtime=runtime))
                    aliases[alias.asname or alias.name] = submodule
                else:
                    names.append(alias.name)
            if names:
                found.append(Import(module, base, node.lineno, tuple(names), runtime))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            if _private(node.attr):
                found.append(Import(module, aliases[node.value.id], node.lineno, (node.attr,)))
    return found


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def where(edge: Import, paths: Mapping[str, str]) -> str:
    return f"{paths.get(edge.module, edge.module)}:{edge.line}"


def outward(imports: Iterable[Import]) -> list[Import]:
    """Imports of a higher layer, of another component of the same layer, or of a closed component from above the
    layer just above it."""
    found = []
    for edge in imports:
        source, target = component(edge.module), component(edge.target)
        if source == target or (edge.module, edge.target) in SANCTIONED:
            continue
        if edge.target in OPEN and LAYER[source] > LAYER[target]:
            continue
        if LAYER[target] >= LAYER[source] or (target in CLOSED and LAYER[source] > LAYER[target] + 1):
            found.append(edge)
    return found


def kept_apart(imports: Iterable[Import]) -> list[Import]:
    return [edge for edge in imports if (component(edge.module), component(edge.target)) in KEPT_APART]


def signer_calls(source: str) -> list[tuple[int, str]]:
    """Where `source` calls a signer's `sign` or `verify` (`signer.sign(...)`, `self.signer.verify(...)`): line,
    method."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in ("sign", "verify"):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
        if name.lower().endswith("signer"):
            found.append((node.lineno, node.func.attr))
    return sorted(found)


def private_imports(imports: Iterable[Import]) -> list[tuple[Import, str]]:
    return [(edge, name) for edge in imports for name in edge.names if _private(name) and edge.target != edge.module]


def cycles(imports: Iterable[Import]) -> list[list[Import]]:
    """The import cycles among modules (runtime imports only): for each strongly connected group of modules, the
    imports between its members."""
    edges = [edge for edge in imports if edge.runtime and edge.module != edge.target]
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.module, set()).add(edge.target)
    groups = [group for group in _strongly_connected(graph) if len(group) > 1]
    return [sorted((e for e in edges if e.module in group and e.target in group), key=_order) for group in groups]


def _order(edge: Import) -> tuple[str, int]:
    return edge.module, edge.line


def _strongly_connected(graph: Mapping[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    groups.append(group)
    return groups


def read_tree(root: Path) -> tuple[list[Import], dict[str, str]]:
    """Every import in the package at `root`, and each module's file (relative to the project, for messages)."""
    files = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    modules = set(files)
    imports = []
    for module, path in files.items():
        source = path.read_text(encoding="utf-8")
        imports += read_imports(module, source, is_package=path.name == "__init__.py", modules=modules)
    paths = {module: str(path.relative_to(PROJECT_ROOT)) for module, path in files.items()}
    return imports, paths


IMPORTS, PATHS = read_tree(SOURCE)


def test_every_component_has_a_layer():
    components = {component(module) for module in PATHS}
    assert components - set(LAYER) == set(), "components without a layer in LAYERS"
    assert set(LAYER) - components == set(), "LAYERS names components that do not exist"


def test_imports_point_inward():
    failures = [
        f"{where(edge, PATHS)}: {edge.module} imports {edge.target}: layer {LAYER[component(edge.target)]} "
        f"({component(edge.target)}) from layer {LAYER[component(edge.module)]} ({component(edge.module)}); "
        "imports point inward (rule: layers)"
        for edge in outward(IMPORTS)
        if (edge.module, edge.target) not in KNOWN_OUTWARD
    ]
    assert not failures, "\n".join(failures)


def test_known_outward_imports_still_exist():
    # An entry whose import is gone must leave the list, so that it can never come back unnoticed.
    still = {(edge.module, edge.target) for edge in outward(IMPORTS)}
    assert KNOWN_OUTWARD - still == set(), "KNOWN_OUTWARD lists imports that are gone: remove them"
    existing = {(edge.module, edge.target) for edge in IMPORTS}
    assert set(SANCTIONED) - existing == set(), "SANCTIONED lists imports that are gone: remove them"


def test_no_import_cycles():
    failures = [
        "import cycle (rule: no cycles): " + "; ".join(f"{where(edge, PATHS)} imports {edge.target}" for edge in cycle)
        for cycle in cycles(IMPORTS)
        if frozenset(edge.module for edge in cycle) not in KNOWN_CYCLES
    ]
    assert not failures, "\n".join(failures)


def test_known_cycles_still_exist():
    still = {frozenset(edge.module for edge in cycle) for cycle in cycles(IMPORTS)}
    assert KNOWN_CYCLES - still == set(), "KNOWN_CYCLES lists cycles that are gone: remove them"


def test_no_private_names_across_modules():
    failures = [
        f"{where(edge, PATHS)}: {edge.module} uses {edge.target}.{name} (rule: no private names across modules)"
        for edge, name in private_imports(IMPORTS)
    ]
    assert not failures, "\n".join(failures)


def test_kept_apart_components_do_not_import_each_other():
    failures = [
        f"{where(edge, PATHS)}: {edge.module} imports {edge.target}: "
        f"{KEPT_APART[component(edge.module), component(edge.target)]} (rule: kept apart)"
        for edge in kept_apart(IMPORTS)
    ]
    assert not failures, "\n".join(failures)


def test_web_neither_signs_nor_opens_tokens():
    failures = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}: calls a signer's {method}: {KEPT_APART['web', 'signing']} "
        "(rule: kept apart)"
        for path in sorted((SOURCE / "web").rglob("*.py"))
        for line, method in signer_calls(path.read_text(encoding="utf-8"))
    ]
    assert not failures, "\n".join(failures)


def test_developers_guide_draws_the_same_layers():
    guide = (PROJECT_ROOT / "DEVELOPERS.md").read_text(encoding="utf-8")
    shape = guide.split("## Shape", 1)[1].split("```", 2)[1]
    drawn = []
    for line in shape.strip().splitlines():
        rank, _, names = line.strip().partition(" ")
        names = re.sub(r"\([^)]*\)", "", names)
        drawn.append((int(rank), tuple(name.strip().strip("`") for name in names.split(","))))
    assert drawn == list(enumerate(LAYERS))
    assert set(re.findall(r"(\w+) \(closed\)", shape)) == CLOSED


# --- the checker itself, on made-up modules -----------------------------------------------------------------------

SNIPPETS = {
    "trialfinder.domain.trial": "from trialfinder.storage.database import connect\n",
    "trialfinder.storage": "",
    "trialfinder.storage.database": (
        "from trialfinder.domain import trial\n"
        "from trialfinder.domain.trial import _secret, __version__\n"
        "def later():\n"
        "    from trialfinder.storage import search\n"
        "    return trial._hidden\n"
    ),
    "trialfinder.storage.search": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from trialfinder.storage.database import Connection\n"
    ),
    "trialfinder.queries.search": "from trialfinder.actions import notify\n",
    "trialfinder.web.pages": (
        "from trialfinder.storage.search import run\n"
        "from trialfinder.storage.database import Database\n"
        "from trialfinder.domain import trial\n"
    ),
    "trialfinder.actions.notify": "import trialfinder.queries.search as s\n",
    "trialfinder.web.links": (
        "from trialfinder.signing import TokenExpired\n"
        "from trialfinder.actions.signed_links import open_token\n"
        "def show(self, token):\n"
        "    self.signer.verify('withdraw', token)\n"
        "    return open_token(signer=self.signer, purpose='withdraw', token=token)\n"
    ),
}


@pytest.fixture(scope="module")
def made_up() -> list[Import]:
    modules = set(SNIPPETS) | {"trialfinder.domain", "trialfinder.queries", "trialfinder.actions"}
    return [
        edge
        for module, source in SNIPPETS.items()
        for edge in read_imports(module, source, is_package=module == "trialfinder.storage", modules=modules)
    ]


def test_the_checker_finds_outward_imports(made_up):
    found = {(edge.module, edge.target, edge.line) for edge in outward(made_up)}
    assert found == {
        ("trialfinder.domain.trial", "trialfinder.storage.database", 1),  # a lower layer importing a higher one
        ("trialfinder.queries.search", "trialfinder.actions.notify", 1),  # two components of one layer
        ("trialfinder.actions.notify", "trialfinder.queries.search", 1),
        ("trialfinder.web.pages", "trialfinder.storage.search", 1),  # a closed layer from two layers up
        # (but not line 2: storage.database is open to every higher layer)
    }


def test_the_checker_finds_cycles_but_not_through_type_checking(made_up):
    found = [sorted({edge.module for edge in cycle}) for cycle in cycles(made_up)]
    # storage.database -> storage.search is a real import; the way back is only under TYPE_CHECKING.
    assert sorted(found) == [
        ["trialfinder.actions.notify", "trialfinder.queries.search"],
        ["trialfinder.domain.trial", "trialfinder.storage.database"],
    ]


def test_the_checker_finds_private_names_imported_and_read(made_up):
    found = {(edge.module, edge.line, name) for edge, name in private_imports(made_up)}
    assert found == {
        ("trialfinder.storage.database", 2, "_secret"),  # from m import _name (`__version__` is public)
        ("trialfinder.storage.database", 5, "_hidden"),  # m._name on an imported module
    }


def test_the_checker_finds_components_kept_apart(made_up):
    found = {(edge.module, edge.target, edge.line) for edge in kept_apart(made_up)}
    # web may import actions (the signer handed over is no import); not signing.
    assert found == {("trialfinder.web.links", "trialfinder.signing", 1)}


def test_the_checker_finds_signer_calls():
    source = SNIPPETS["trialfinder.web.links"] + "signer.sign('p', 'id', expires_at=None)\nverify(token)\n"
    assert signer_calls(source) == [(4, "verify"), (6, "sign")]
