# SPDX-License-Identifier: BSD-3-Clause
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

Some imports name their module only at run time (PIL imports its
image plugins by name): hooks.py lists those of common packages, and
--collect freezes a whole package.  What cannot be followed is recorded
(`dynamic`, `missing`) for -v to show.

Frozen modules keep the path they were found at (their __file__ in the
plugin), and the plugin also carries, for packages that are not the
standard library's, the data files in their directories and the
metadata of the distributions that ship them (for importlib.resources,
pkgutil.get_data and importlib.metadata).  A path made from __file__
handed to something that opens a real file cannot work: each such call
is recorded (`file_uses`) for the build to report.

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
import re
import sys
from dataclasses import dataclass, field

from . import hooks
from .diagnostics import Diagnostics

# Imported by the runtime itself: the codecs Python needs at start-up
# (UTF-8 mode), and what it formats tracebacks with.
RUNTIME_MODULES = ("encodings", "encodings.aliases", "encodings.utf_8",
                   "traceback", "linecache")

# Modules that exist without a file: the plugin's own nbdkit module, and
# those linked into libpython.
BUILTIN = frozenset(sys.builtin_module_names) | {"nbdkit"}
# Built-in modules Python's start-up, its core or the plugin's runtime
# use (interp.c imports gc, _thread and atexit) without an import that
# reading code would see: never left out of a standalone plugin.
CORE_BUILTINS = frozenset({
    "builtins", "sys", "_imp", "_thread", "_warnings", "_weakref", "_io",
    "marshal", "posix", "_abc", "_codecs", "_signal", "_stat", "gc",
    "atexit", "_string", "_functools", "_collections", "_operator",
    "itertools", "_sre", "errno", "time", "_locale", "_tracemalloc",
    "faulthandler", "_symtable", "_tokenize", "_opcode", "_ast"})
# Python's own frozen modules ("os.path" is an alias set up by os).
PREFROZEN = frozenset(_imp._frozen_module_names()) | {"os.path"}

# Handlers under which a failed import is expected (and survived).
_CATCHES_IMPORT = {"ImportError", "ModuleNotFoundError", "Exception",
                   "BaseException"}

# Calls that need a real file at the path they are given: Python's own
# opening of files and directories, and ctypes' loading of a library.
_FILE_CALLS = {"open", "io.open", "os.open", "os.listdir", "os.scandir",
               "os.walk", "glob.glob", "ctypes.CDLL", "ctypes.PyDLL",
               "ctypes.cdll.LoadLibrary", "CDLL", "PyDLL", "LoadLibrary",
               "cdll.LoadLibrary", "np.load", "numpy.load", "np.loadtxt",
               "numpy.loadtxt", "Image.open", "PIL.Image.open"}

# Files of a package directory that are not data code reads at run
# time: Python code (frozen or embedded apart), and what only builds C
# against the package.
_NOT_DATA = re.compile(r".*\.(py|pyc|pyo|pyi|so|pyd|c|cpp|h|hpp|pxd|pyx|"
                       r"pxi|i|a|lib)\Z|__pycache__\Z")


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
    site: str = ""  # FILE:LINE of the import, in a module not the script


@dataclass(frozen=True)
class Distribution:
    """The metadata directory (.dist-info, .egg-info) of an installed
    distribution whose top-level packages are frozen."""

    name: str  # as its metadata names it
    path: str  # the directory
    files: tuple[str, ...]  # in it, sorted


@dataclass
class Closure:
    modules: list[Module] = field(default_factory=list)  # sorted by name
    missing: list[Missing] = field(default_factory=list)
    # (module, file, line): a path made from __file__ handed to a call
    # that needs a real file (_FILE_CALLS).
    file_uses: list[tuple[str, str, int]] = field(default_factory=list)
    # (module, file, line): an import of a name computed at run time.
    dynamic: list[tuple[str, str, int]] = field(default_factory=list)
    data: list[str] = field(default_factory=list)  # package data files
    distributions: list[Distribution] = field(default_factory=list)
    # Built-in modules no import reaches, CORE_BUILTINS aside.
    unused_builtins: list[str] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        """The files the plugin is made from besides the script (sources,
        extensions' shared objects, data and metadata files), sorted: a
        build's inputs."""
        return sorted([m.path for m in self.modules if m.path]
                      + self.data
                      + [os.path.join(d.path, f)
                         for d in self.distributions for f in d.files])


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


def _dotted(node: ast.expr) -> str | None:
    """a.b.c of a call's function, or None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


# Functions of importlib.resources and pkgutil that import the package
# they are given (importlib.resources.files("pkg"), pkgutil.get_data(...)).
_RESOURCE_CALLS = {"files", "get_data", "read_text", "read_binary",
                   "open_text", "open_binary", "contents", "is_resource"}


def _import_call(call: ast.Call) -> tuple[bool, str | None]:
    """(is it importlib.import_module(...) or __import__(...), the
    module when its name is a literal); the package a call of
    importlib.resources or pkgutil names as a literal counts too."""
    fn = call.func
    name = (fn.id if isinstance(fn, ast.Name)
            else fn.attr if isinstance(fn, ast.Attribute) else None)
    if not call.args or name not in ("import_module", "__import__",
                                     *_RESOURCE_CALLS):
        return False, None
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
            and arg.value and not arg.value.startswith("."):
        return True, arg.value
    return name in ("import_module", "__import__"), None


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names
               for n in ast.walk(node))


def file_uses(tree: ast.Module) -> list[int]:
    """The lines of calls that hand a path made from __file__ (directly,
    or through a name assigned one) to something that needs a real file.
    Names are followed across the whole module, whatever their scope: a
    guess on the safe side."""
    tainted = {"__file__"}
    assigns = [n for n in ast.walk(tree)
               if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign))
               and n.value is not None]
    grew = True
    while grew:
        grew = False
        for a in assigns:
            if not _mentions(a.value, tainted):
                continue
            targets = a.targets if isinstance(a, ast.Assign) else [a.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name) and n.id not in tainted:
                        tainted.add(n.id)
                        grew = True
    return sorted({n.lineno for n in ast.walk(tree)
                   if isinstance(n, ast.Call)
                   and _dotted(n.func) in _FILE_CALLS
                   and any(_mentions(a, tainted) for a in
                           [*n.args, *(k.value for k in n.keywords)])})


class _Walker:
    """The imports of one module: all of them (whole) or those that run
    while it is imported, and the lines of those whose module is named
    only at run time."""

    def __init__(self, package: str, whole: bool) -> None:
        self.package = package  # for relative imports
        self.whole = whole
        self.imports: list[_Import] = []
        self.dynamic: list[int] = []

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
            start = len(self.imports)
            self.walk(node.body, optional or catches, conditional,
                      in_function)
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
            is_import, name = _import_call(node)
            if name is not None:
                self.imports.append(_Import(name, (), node.lineno, True,
                                            conditional))
            elif is_import:
                self.dynamic.append(node.lineno)
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
    """Modules found as Python's path finder finds them, on path; extra
    maps the names of modules outside it to their files."""

    def __init__(self, path: list[str],
                 extra: dict[str, str] | None = None) -> None:
        self.path = list(path)
        self.cache: dict[str, _Found | None] = {
            name: _Found(file, False, False, (), True)
            for name, file in (extra or {}).items()}

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


def submodules(finder: Finder, package: str) -> list[str]:
    """Every module and package under package, found by listing its
    directories (as pkgutil.walk_packages does, without importing)."""
    found = finder.find(package)
    if found is None or not found.is_package:
        return []
    suffixes = sorted(importlib.machinery.all_suffixes(), key=len,
                      reverse=True)
    names = set()
    for d in found.search:
        try:
            entries = sorted(os.listdir(d))
        except OSError:
            continue
        for entry in entries:
            if entry == "__init__.py" or entry.startswith("."):
                continue
            if os.path.isdir(os.path.join(d, entry)):
                if entry.isidentifier() and os.path.exists(
                        os.path.join(d, entry, "__init__.py")):
                    names.add(entry)
                continue
            for suffix in suffixes:
                stem = entry[:-len(suffix)]
                if entry.endswith(suffix) and stem.isidentifier():
                    names.add(stem)
                    break
    result = []
    for n in sorted(names):
        result.append(f"{package}.{n}")
        result += submodules(finder, f"{package}.{n}")
    return result


def closure(tree: ast.Module, path: list[str],
            freeze: tuple[str, ...] = (), exclude: tuple[str, ...] = (),
            diags: Diagnostics | None = None,
            script_path: str = "", collect: tuple[str, ...] = (),
            extra: dict[str, str] | None = None) -> Closure:
    """The modules a standalone plugin of the script needs.

    path is the module search path (where `python3 SCRIPT` looks);
    freeze adds modules only a dynamic import reaches, collect whole
    packages, exclude leaves modules (and what only they reach) out;
    extra names modules outside path by file (the runtime's own).  A
    script's unconditional top-level import that cannot be found is an
    error, any other a warning; an import that is optional, or made by
    another module, is only recorded as missing.
    """
    finder = Finder(path, extra)
    result = Closure()
    seen: dict[str, Module | None] = {}
    excluded = set(exclude)
    missing: set[str] = set()
    queue: list[tuple[str, tuple[str, ...], int]] = []

    def want(name: str, chain: tuple[str, ...], line: int,
             optional: bool, site: str = "") -> bool:
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
                                                  optional, site))
                return False
            seen[prefix] = None
            queue.append((prefix, chain + (prefix,), line))
        return True

    def fallback_needed(imp: _Import) -> bool:
        """False for the handler's import when the try body's work."""
        return not imp.fallback_for or any(finder.find(n) is None
                                           for n in imp.fallback_for)

    script = imports(tree, "", whole=True)
    result.dynamic.extend(("__main__", script_path, n)
                          for n in script.dynamic)
    for name in (*RUNTIME_MODULES, *(extra or {}), *freeze, *collect):
        if not want(name, (), 0, False) and diags is not None:
            diags.error(script_path, 0, 0,
                        f"module {name!r} to freeze cannot be found",
                        rule="standalone-module")
    for name in collect:
        for sub in submodules(finder, name):
            want(sub, (name,), 0, True)
    hooked: set[hooks.Hook] = set()
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

    reached: set[str] = set()
    while queue:
        name, chain, line = queue.pop(0)
        reached.add(name)
        found = finder.find(name)
        assert found is not None
        if found.frozen_here and (found.path is not None or found.is_package):
            seen[name] = Module(name, found.path or "", found.is_package,
                                found.extension, chain, line)
        for hook in hooks.BY_TRIGGER.get(name, ()):
            if hook in hooked:
                continue
            hooked.add(hook)
            for sub in (submodules(finder, hook.package) if hook.package
                        else [hook.pattern]):
                if hook.matches(sub):
                    want(sub, chain + (f"[{hook.why}]",), line, True)
        if found.path is None or found.extension:
            continue
        tree_m = _parse(found.path)
        if tree_m is None:
            continue
        package = name if found.is_package else name.rpartition(".")[0]
        walker = imports(tree_m, package, whole=False)
        if found.frozen_here:
            result.dynamic.extend((name, found.path, n)
                                  for n in walker.dynamic)
            if not _in_stdlib(found.path):
                result.file_uses.extend((name, found.path, n)
                                        for n in file_uses(tree_m))
        for imp in walker.imports:
            if not fallback_needed(imp):
                continue
            want(imp.name, chain, line, True, f"{found.path}:{imp.line}")
            for sub in imp.fromlist:
                _want_submodule(finder, want, imp.name, sub, chain, line)
    result.modules = sorted((m for m in seen.values() if m is not None),
                            key=lambda m: m.name)
    result.file_uses[:0] = [("__main__", script_path, n)
                            for n in file_uses(tree)]
    result.data = package_data(result.modules, collect)
    result.distributions = distributions(result.modules, path)
    result.unused_builtins = sorted(set(sys.builtin_module_names) - reached
                                    - CORE_BUILTINS)
    return result


def _in_stdlib(path: str) -> bool:
    stdlib = getattr(sys, "_stdlib_dir", None) or os.path.dirname(
        os.__file__)
    return os.path.abspath(path).startswith(stdlib + os.sep)


def package_data(modules: list[Module],
                 collect: tuple[str, ...] = ()) -> list[str]:
    """The data files of the frozen packages: every file in a package's
    directory, and in its directories that are no package, that is not
    code (_NOT_DATA).  The standard library's only for a package
    collected whole."""
    files: list[str] = []
    for m in modules:
        if not m.is_package or not m.path or m.extension:
            continue
        if _in_stdlib(m.path) and not any(
                m.name == c or m.name.startswith(c + ".") for c in collect):
            continue
        top = os.path.dirname(m.path)
        for d, subdirs, names in os.walk(top):
            subdirs[:] = sorted(
                s for s in subdirs if not _NOT_DATA.match(s)
                and not os.path.exists(os.path.join(d, s, "__init__.py")))
            files += [os.path.join(d, n) for n in sorted(names)
                      if not _NOT_DATA.match(n)
                      and os.path.isfile(os.path.join(d, n))]
    return sorted(files)


def distributions(modules: list[Module],
                  path: list[str]) -> list[Distribution]:
    """The installed distributions that ship the frozen top-level
    modules, found as importlib.metadata finds them on path."""
    import importlib.metadata
    tops = {m.name.partition(".")[0] for m in modules
            if m.path and not _in_stdlib(m.path)}
    if not tops:
        return []
    found: dict[str, Distribution] = {}
    for dist in importlib.metadata.distributions(path=path):
        where = getattr(dist, "_path", None)
        if where is None or not os.path.isdir(str(where)):
            continue
        names = set((dist.read_text("top_level.txt") or "").split())
        if not names:
            names = {f.parts[0].removesuffix(".py")
                     for f in dist.files or () if f.parts}
        name = dist.metadata["Name"]
        if name:
            # Without top_level.txt or RECORD (Debian leaves RECORD out),
            # a distribution is taken to ship the package of its name.
            names.add(re.sub(r"[-_.]+", "_", name).lower())
        if names & tops and name and name not in found:
            d = str(where)
            found[name] = Distribution(name, d, tuple(sorted(
                n for n in os.listdir(d)
                if os.path.isfile(os.path.join(d, n)))))
    return sorted(found.values(), key=lambda d: d.name)


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
                    request["script_path"], tuple(request["collect"]),
                    request["extra"])
    json.dump({"closure": dataclasses.asdict(found),
               "diagnostics": diags.calls}, sys.stdout)


def target_closure(source: bytes, filename: str, path: list[str],
                   freeze: tuple[str, ...], exclude: tuple[str, ...],
                   diags: Diagnostics, script_path: str,
                   collect: tuple[str, ...] = (),
                   extra: dict[str, str] | None = None) -> Closure:
    """closure() of the script's source, computed by the target Python."""
    from .build import run_target
    request = {"source": source.decode("latin-1"), "filename": filename,
               "path": path, "freeze": freeze, "exclude": exclude,
               "script_path": script_path, "collect": collect,
               "extra": extra or {}}
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
        file_uses=[tuple(u) for u in c["file_uses"]],
        dynamic=[tuple(u) for u in c["dynamic"]],
        data=c["data"],
        unused_builtins=c["unused_builtins"],
        distributions=[Distribution(**dict(d, files=tuple(d["files"])))
                       for d in c["distributions"]])
