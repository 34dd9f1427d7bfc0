"""The import closure of a script, for standalone plugins.

What a standalone plugin must carry: every module the script imports,
anywhere in it (an import inside a callback counts), and what those
modules import while they are being imported (their module and class
bodies, not their functions, which may never run).  Everything is read
with ast and found as Python's path finder would find it, without
running any of it.  An import inside `try` with an `except ImportError`
(or a wider handler) is optional: taken if found, skipped if not, as
Python would.  Imports under `if TYPE_CHECKING:` are never run and not
followed.

Modules built into libpython, and those Python freezes itself, are not
frozen again (their own imports are followed all the same).  C
extensions are kept apart: the plugin embeds their shared objects.

Which modules are built in or frozen, and which extension file names
import, are the target Python's: target_closure() runs closure() in a
child of it.
"""

from __future__ import annotations

import _imp
import ast
import dataclasses
import importlib.machinery
import json
import os
import sys
from dataclasses import dataclass, field

from .diagnostics import Diagnostics

# Imported by the runtime itself: the codecs Python needs at start-up
# (UTF-8 mode), and what it formats tracebacks with.
RUNTIME_MODULES = ("encodings", "encodings.aliases", "encodings.utf_8",
                   "traceback", "linecache")

# Modules that exist without a file: the plugin's own nbdkit module, and
# those linked into libpython.
BUILTIN = frozenset(sys.builtin_module_names) | {"nbdkit"}
# Python's own frozen modules ("os.path" is an alias set up by os).
PREFROZEN = frozenset(_imp._frozen_module_names()) | {"os.path"}

# Handlers under which a failed import is expected (and survived), and
# a missing __file__.
_CATCHES_IMPORT = {"ImportError", "ModuleNotFoundError", "Exception",
                   "BaseException"}
_CATCHES_NAME = {"NameError", "Exception", "BaseException"}


@dataclass(frozen=True)
class Module:
    """A module of the closure that goes into the plugin."""

    name: str
    path: str  # its source file, or an extension's shared object
    is_package: bool
    extension: bool
    chain: tuple[str, ...]  # the imports that reached it, from the script
    line: int  # the script's line where that chain starts


@dataclass(frozen=True)
class Missing:
    name: str
    chain: tuple[str, ...]
    line: int
    optional: bool


@dataclass
class Closure:
    modules: list[Module] = field(default_factory=list)  # sorted by name
    missing: list[Missing] = field(default_factory=list)
    # (module, file, line): a use of __file__ at import time.
    file_uses: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        """The files the plugin is made from besides the script (sources
        and extensions' shared objects), sorted: a build's inputs."""
        return sorted(m.path for m in self.modules if m.path)


@dataclass(frozen=True)
class _Import:
    name: str  # absolute
    fromlist: tuple[str, ...]  # names of `from name import ...`
    line: int
    optional: bool
    conditional: bool  # inside a function, if, loop, ...
    # In the handler of a `try` whose body imports these: run only if
    # one of them fails.
    fallback_for: tuple[str, ...] = ()


def _catches(handler: ast.ExceptHandler, names: set[str]) -> bool:
    if handler.type is None:
        return True
    types = (handler.type.elts if isinstance(handler.type, ast.Tuple)
             else [handler.type])
    return any(isinstance(t, ast.Name) and t.id in names
               or isinstance(t, ast.Attribute) and t.attr in names
               for t in types)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
            or isinstance(test, ast.Attribute)
            and test.attr == "TYPE_CHECKING")


def _literal_import(call: ast.Call) -> str | None:
    """The module of importlib.import_module("m") or __import__("m")."""
    fn = call.func
    name = (fn.id if isinstance(fn, ast.Name)
            else fn.attr if isinstance(fn, ast.Attribute) else None)
    if name not in ("import_module", "__import__") or not call.args:
        return None
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
            and arg.value and not arg.value.startswith("."):
        return arg.value
    return None


class _Walker:
    """The imports of one module: all of them (whole) or those that run
    while it is imported, and its uses of __file__ at import time."""

    def __init__(self, package: str, whole: bool) -> None:
        self.package = package  # for relative imports
        self.whole = whole
        self.imports: list[_Import] = []
        self.file_lines: list[int] = []
        self.guarded = 0  # inside a try that survives a NameError

    def resolve(self, module: str | None, level: int) -> str | None:
        if level == 0:
            return module
        parts = self.package.split(".") if self.package else []
        if level - 1 >= len(parts):
            return None  # beyond the top-level package: ImportError
        base = parts[:len(parts) - (level - 1)]
        return ".".join(base + ([module] if module else []))

    def walk(self, nodes, optional: bool, conditional: bool,
             in_function: bool) -> None:
        for node in nodes:
            self.node(node, optional, conditional, in_function)

    def node(self, node: ast.AST, optional: bool, conditional: bool,
             in_function: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                             ast.Lambda)):
            if self.whole:
                self.walk(ast.iter_child_nodes(node), optional, True, True)
            else:
                # Decorators and defaults run at definition time.
                extra = list(getattr(node, "decorator_list", []))
                self.walk(extra + [node.args], optional, conditional,
                          in_function)
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            self.walk(node.orelse, optional, True, in_function)
            return
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            catches = any(_catches(h, _CATCHES_IMPORT)
                          for h in node.handlers)
            guards = any(_catches(h, _CATCHES_NAME) for h in node.handlers)
            start = len(self.imports)
            self.guarded += guards
            self.walk(node.body, optional or catches, conditional,
                      in_function)
            self.guarded -= guards
            tried = tuple(i.name for i in self.imports[start:])
            start = len(self.imports)
            self.walk(node.handlers, optional, True, in_function)
            if catches and tried:
                self.imports[start:] = [
                    dataclasses.replace(i, fallback_for=tried)
                    for i in self.imports[start:]]
            self.walk(node.orelse + node.finalbody, optional, True,
                      in_function)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.imports.append(_Import(alias.name, (), node.lineno,
                                            optional, conditional))
            return
        if isinstance(node, ast.ImportFrom):
            name = self.resolve(node.module, node.level)
            if name is not None:
                names = tuple(a.name for a in node.names if a.name != "*")
                self.imports.append(_Import(name, names, node.lineno,
                                            optional, conditional))
            return
        if isinstance(node, ast.Call):
            name = _literal_import(node)
            if name is not None:
                self.imports.append(_Import(name, (), node.lineno, True,
                                            conditional))
        if isinstance(node, ast.Name) and node.id == "__file__" \
                and not in_function and not self.guarded:
            self.file_lines.append(node.lineno)
        branch = isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While,
                                   ast.With, ast.AsyncWith, ast.Match))
        self.walk(ast.iter_child_nodes(node), optional,
                  conditional or branch, in_function)


def imports(tree: ast.Module, package: str, whole: bool) -> _Walker:
    walker = _Walker(package, whole)
    walker.walk(tree.body, False, False, False)
    return walker


@dataclass(frozen=True)
class _Found:
    path: str | None  # None: built in, or a namespace package
    is_package: bool
    extension: bool
    search: tuple[str, ...]  # a package's submodule search locations
    frozen_here: bool  # goes into the plugin


class Finder:
    """Modules found as Python's path finder finds them, on path."""

    def __init__(self, path: list[str]) -> None:
        self.path = list(path)
        self.cache: dict[str, _Found | None] = {}

    def find(self, name: str) -> _Found | None:
        if name not in self.cache:
            self.cache[name] = self._find(name)
        return self.cache[name]

    def _find(self, name: str) -> _Found | None:
        if name in BUILTIN:
            return _Found(None, False, False, (), False)
        parent, _, _ = name.rpartition(".")
        if parent:
            p = self.find(parent)
            if p is None or not p.is_package:
                return (_Found(None, False, False, (), False)
                        if name in PREFROZEN else None)
            search = list(p.search)
        else:
            search = self.path
        spec = importlib.machinery.PathFinder.find_spec(name, search)
        if spec is None:
            return (_Found(None, False, False, (), False)
                    if name in PREFROZEN else None)
        locations = tuple(spec.submodule_search_locations or ())
        is_package = spec.submodule_search_locations is not None
        origin = spec.origin if spec.has_location else None
        extension = isinstance(spec.loader,
                               importlib.machinery.ExtensionFileLoader)
        if origin is not None and not extension \
                and not origin.endswith(".py"):
            origin = None  # bytecode only: nothing to read
        return _Found(origin, is_package, extension, locations,
                      name not in PREFROZEN)


def closure(tree: ast.Module, path: list[str],
            freeze: tuple[str, ...] = (), exclude: tuple[str, ...] = (),
            diags: Diagnostics | None = None,
            script_path: str = "") -> Closure:
    """The modules a standalone plugin of the script needs.

    path is the module search path (sys.path of the build's Python);
    freeze adds modules only a dynamic import reaches, exclude leaves
    modules (and what only they reach) out.  A script's unconditional
    top-level import that cannot be found is an error, any other a
    warning; an import that is optional, or made by another module, is
    only recorded as missing.
    """
    finder = Finder(path)
    result = Closure()
    seen: dict[str, Module | None] = {}
    excluded = set(exclude)
    missing: set[str] = set()
    queue: list[tuple[str, tuple[str, ...], int]] = []

    def want(name: str, chain: tuple[str, ...], line: int,
             optional: bool) -> bool:
        """Queue name and its parent packages; False if not found."""
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in excluded:
                return True
            if prefix in seen:
                continue
            found = finder.find(prefix)
            if found is None:
                if prefix not in missing:
                    missing.add(prefix)
                    result.missing.append(Missing(prefix, chain, line,
                                                  optional))
                return False
            seen[prefix] = None
            queue.append((prefix, chain + (prefix,), line))
        return True

    def fallback_needed(imp: _Import) -> bool:
        """False for the handler's import when the try body's work."""
        return not imp.fallback_for or any(finder.find(n) is None
                                           for n in imp.fallback_for)

    script = imports(tree, "", whole=True)
    for name in (*RUNTIME_MODULES, *freeze):
        if not want(name, (), 0, False) and diags is not None:
            diags.error(script_path, 0, 0,
                        f"module {name!r} to freeze cannot be found",
                        rule="standalone-module")
    for imp in script.imports:
        if not fallback_needed(imp):
            continue
        ok = want(imp.name, (), imp.line, imp.optional)
        if not ok and not imp.optional and diags is not None:
            report = (diags.warning if imp.conditional else diags.error)
            report(script_path, imp.line, 1,
                   f"module {imp.name!r} cannot be found on the build's "
                   "module path; a standalone plugin cannot import it",
                   rule="module-not-found")
        for sub in imp.fromlist:
            _want_submodule(finder, want, imp.name, sub, (), imp.line)

    while queue:
        name, chain, line = queue.pop(0)
        found = finder.find(name)
        assert found is not None
        if found.frozen_here and (found.path is not None or found.is_package):
            seen[name] = Module(name, found.path or "", found.is_package,
                                found.extension, chain, line)
        if found.path is None or found.extension:
            continue
        tree_m = _parse(found.path)
        if tree_m is None:
            continue
        package = name if found.is_package else name.rpartition(".")[0]
        walker = imports(tree_m, package, whole=False)
        if found.frozen_here:
            result.file_uses.extend((name, found.path, n)
                                    for n in walker.file_lines)
        for imp in walker.imports:
            if not fallback_needed(imp):
                continue
            want(imp.name, chain, line, True)
            for sub in imp.fromlist:
                _want_submodule(finder, want, imp.name, sub, chain, line)
    result.modules = sorted((m for m in seen.values() if m is not None),
                            key=lambda m: m.name)
    return result


def _want_submodule(finder: Finder, want, package: str, sub: str,
                    chain: tuple[str, ...], line: int) -> None:
    """`from package import sub`: sub may be a submodule."""
    found = finder.find(package)
    if found is not None and found.is_package \
            and finder.find(f"{package}.{sub}") is not None:
        want(f"{package}.{sub}", chain, line, True)


def _parse(path: str) -> ast.Module | None:
    try:
        with open(path, "rb") as f:
            return ast.parse(f.read(), path)
    except (OSError, SyntaxError, ValueError):
        return None


# The child's side of target_closure: this module imported from the
# generator's directory (argv[1]), a request on stdin, the closure and
# the diagnostics it would have given on stdout.
_CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
from pyplugin_gen import freeze
freeze.serve()
"""


class _Recorder:
    """Diagnostics as calls, for the generator to make again."""

    def __init__(self) -> None:
        self.calls: list[list] = []

    def error(self, *args, **kwargs) -> None:
        self.calls.append(["error", args, kwargs])

    def warning(self, *args, **kwargs) -> None:
        self.calls.append(["warning", args, kwargs])


def serve() -> None:
    request = json.load(sys.stdin)
    tree = ast.parse(request["source"].encode("latin-1"),
                     request["filename"])
    diags = _Recorder()
    found = closure(tree, request["path"], tuple(request["freeze"]),
                    tuple(request["exclude"]), diags,  # type: ignore
                    request["script_path"])
    json.dump({"closure": dataclasses.asdict(found),
               "diagnostics": diags.calls}, sys.stdout)


def target_closure(source: bytes, filename: str, path: list[str],
                   freeze: tuple[str, ...], exclude: tuple[str, ...],
                   diags: Diagnostics, script_path: str) -> Closure:
    """closure() of the script's source, computed by the target Python."""
    from .build import run_target
    request = {"source": source.decode("latin-1"), "filename": filename,
               "path": path, "freeze": freeze, "exclude": exclude,
               "script_path": script_path}
    generator_dir = os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))
    proc = run_target(["-S", "-s", "-E", "-B", "-c", _CHILD, generator_dir],
                      "finding the modules to freeze",
                      input=json.dumps(request).encode())
    answer = json.loads(proc.stdout)
    for kind, args, kwargs in answer["diagnostics"]:
        getattr(diags, kind)(*args, **kwargs)
    c = answer["closure"]
    return Closure(
        modules=[Module(**dict(m, chain=tuple(m["chain"])))
                 for m in c["modules"]],
        missing=[Missing(**dict(m, chain=tuple(m["chain"])))
                 for m in c["missing"]],
        file_uses=[tuple(u) for u in c["file_uses"]])
