# SPDX-License-Identifier: BSD-3-Clause
"""The parts of a standalone plugin: frozen modules, embedded extensions,
the libraries they need, and the check of the linked plugin.

freeze.py finds what the script needs; this module turns it into what
the template embeds (struct pyp_standalone in runtime/pyplugin.h) and
reports, as build errors and warnings, what cannot work without Python
on disk.
"""

from __future__ import annotations

import json
import marshal
import os
import re
import shlex
import subprocess
from dataclasses import dataclass

from . import buildconfig
from .build import DUMPS, BuildError, run_target
from .diagnostics import Diagnostics
from .freeze import Closure, Module, target_closure
from .script import Script
from .sitepath import Site

# Run by the target Python with a fixed hash seed, as the script's
# own bytecode is (build.py): the marshalled code of each module.  Code
# objects are named "<frozen NAME>", as Python names those it freezes.
_COMPILE = f"""
import json, marshal, sys
for name, path in json.load(sys.stdin):
    source = b""
    if path:
        with open(path, "rb") as f:
            source = f.read()
    code = compile(source, "<frozen %s>" % name, "exec", dont_inherit=True,
                   optimize=0)
    data = {DUMPS}
    sys.stdout.buffer.write(len(data).to_bytes(4, "little") + data)
"""

# The runtime's importer (embedded.py), frozen under this name.
IMPORTER = "_pyplugin_embedded"
IMPORTER_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "embedded.py")

# Libraries every plugin process has already: no need to name them.
_BASE_LIBRARIES = re.compile(r"(libc|libm|libpthread|libdl|librt|ld-linux"
                             r"[-\w]*)\.so")


@dataclass(frozen=True)
class Frozen:
    name: str
    is_package: bool
    code: bytes


@dataclass(frozen=True)
class Extension:
    name: str
    data: bytes
    libraries: tuple[str, ...]  # DT_NEEDED, base libraries left out


@dataclass(frozen=True)
class Standalone:
    """What render puts into struct pyp_standalone."""

    modules: tuple[Frozen, ...]
    extensions: tuple[Extension, ...]
    libraries: tuple[str, ...]  # every library the extensions need
    prefix: str
    stdlib_dir: str
    sources: tuple[str, ...]  # the files it was made from
    left_out: tuple[str, ...]  # built-in modules the archive lacks
    # Built-in modules the script does not use, left out of the plugin
    # (only when no C extension, whose imports cannot be read, is in).
    unused: tuple[str, ...] = ()
    # For the importer (embedded.py): the marshalled (modules, data,
    # distributions), and the bytes of the data and metadata files.
    manifest: bytes = b""
    data: bytes = b""

    @property
    def module_bytes(self) -> int:
        return sum(len(m.code) for m in self.modules)

    @property
    def extension_bytes(self) -> int:
        return sum(len(e.data) for e in self.extensions)

    @property
    def dropped(self) -> tuple[str, ...]:
        """The built-in modules the plugin leaves out, for any reason."""
        return tuple(sorted({*self.left_out, *self.unused}))


def available() -> None:
    if not buildconfig.STANDALONE_LIBS:
        raise BuildError("--standalone cannot link libpython into the "
                         f"plugin: {buildconfig.STANDALONE_MISSING}; "
                         "re-run configure after installing it")


def needed(path: str) -> list[str]:
    """The DT_NEEDED entries of a shared object."""
    try:
        proc = subprocess.run(["readelf", "-d", "-W", path],
                              capture_output=True, text=True)
    except OSError as e:
        raise BuildError(f"cannot run readelf: {e.strerror} "
                         "(install binutils)") from e
    if proc.returncode != 0:
        raise BuildError(f"readelf {path} failed:\n{proc.stderr}")
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]",
                      proc.stdout)


def _chain(m: Module) -> str:
    return " -> ".join(m.chain)


def _module_error(script: Script, diags: Diagnostics, m: Module,
                  why: str) -> None:
    diags.error(script.path, m.line, 1 if m.line else 0,
                f"module {m.name!r} ({_chain(m)}) cannot work in a "
                f"standalone plugin: {why}", rule="standalone-module")


def _extension(script: Script, diags: Diagnostics,
               m: Module) -> Extension | None:
    libs = needed(m.path)
    python = [lib for lib in libs if lib.startswith("libpython")]
    if python:
        _module_error(script, diags, m, f"the C extension {m.path} links "
                      f"{python[0]}, which a standalone plugin replaces")
        return None
    missing = [name for name, path in _library_paths(m.path).items()
               if path is None]
    if missing:
        _module_error(script, diags, m, f"the C extension {m.path} needs "
                      f"{', '.join(missing)}, which is not found here")
        return None
    with open(m.path, "rb") as f:
        data = f.read()
    return Extension(m.name, data,
                     tuple(lib for lib in libs
                           if not _BASE_LIBRARIES.match(lib)))


def compile_modules(modules: list[Module]) -> list[Frozen]:
    items = [[m.name, m.path] for m in modules if not m.extension]
    env = dict(os.environ, PYTHONHASHSEED="0")
    proc = run_target(["-S", "-s", "-E", "-c", _COMPILE],
                      "compiling the modules to freeze",
                      input=json.dumps(items).encode(), env=env)
    out, pos, frozen = proc.stdout, 0, []
    packages = {m.name: m.is_package for m in modules}
    for name, _ in items:
        size = int.from_bytes(out[pos:pos + 4], "little")
        frozen.append(Frozen(name, packages[name], out[pos + 4:pos + 4 + size]))
        pos += 4 + size
    return frozen


def module_path(script: Script, site: Site,
                extra: tuple[str, ...] = ()) -> list[str]:
    """Where `python3 SCRIPT` finds modules: the script's directory
    (symbolic links resolved, as Python does), then the extra
    directories (--path), PYTHONPATH's and site's."""
    pythonpath = [os.path.abspath(d) for d in
                  os.environ.get("PYTHONPATH", "").split(os.pathsep) if d]
    return [os.path.dirname(os.path.realpath(script.path)),
            *(os.path.abspath(d) for d in extra), *pythonpath, *site.path]


def _manifest(found: Closure) -> tuple[bytes, bytes]:
    """The importer's manifest and data (see embedded.install)."""
    modules = {m.name: (m.path, m.is_package) for m in found.modules
               if not m.extension and m.name != IMPORTER}
    files = found.data + [os.path.join(d.path, f)
                          for d in found.distributions for f in d.files]
    data, blob = {}, bytearray()
    for path in sorted(files):
        with open(path, "rb") as f:
            content = f.read()
        data[path] = (len(blob), len(content))
        blob += content
    dists = [(d.name, d.path) for d in found.distributions]
    return marshal.dumps((modules, data, dists), 4), bytes(blob)


def prepare(script: Script, site: Site, diags: Diagnostics,
            freeze: tuple[str, ...] = (),
            exclude: tuple[str, ...] = (),
            collect: tuple[str, ...] = (),
            path: tuple[str, ...] = ()) -> tuple[Standalone, Closure]:
    """Everything a standalone plugin of the script embeds; problems go
    to diags (the caller stops on errors)."""
    found = target_closure(script.source, script.filename,
                           module_path(script, site, path), freeze, exclude,
                           diags, script.path, collect,
                           {IMPORTER: IMPORTER_FILE})
    for name, file, line in found.file_uses:
        whose = "the script's" if name == "__main__" else f"{name}'s"
        diags.warning(file if name != "__main__" else script.path, line, 0,
                      f"a path made from {whose} __file__ is handed to "
                      "a call that needs a real file; in a standalone "
                      "plugin the module's files are not on disk (read "
                      "package data with importlib.resources or "
                      "pkgutil.get_data)", rule="frozen-file")
    extensions = []
    for m in found.modules:
        if m.extension:
            e = _extension(script, diags, m)
            if e is not None:
                extensions.append(e)
    libraries = sorted({lib for e in extensions for lib in e.libraries})
    manifest, data = _manifest(found)
    standalone = Standalone(
        modules=tuple(compile_modules(found.modules)),
        extensions=tuple(extensions),
        libraries=tuple(libraries),
        prefix=os.path.dirname(os.path.dirname(site.stdlib_dir)),
        stdlib_dir=site.stdlib_dir,
        sources=tuple(found.sources),
        left_out=left_out(),
        unused=() if extensions else tuple(found.unused_builtins),
        manifest=manifest,
        data=data)
    return standalone, found


INITTAB = "python-inittab.o"


def left_out() -> tuple[str, ...]:
    """The built-in modules of libpython's archive that standalone
    plugins leave out (configure found the code they need missing)."""
    return tuple(buildconfig.STANDALONE_LEFT_OUT.split())


def _archive() -> str:
    return shlex.split(buildconfig.STANDALONE_LIBS)[0]


def inittab(parts: Standalone, directory: str) -> str | None:
    """A copy of libpython's init table (config.o of its archive) in
    directory, whose references to the modules the plugin leaves out are
    weak, so that the linker does not pull their code in; make's copy
    when only those configure found missing are left out (beside the
    runtime's archive)."""
    if not parts.unused:
        return os.path.join(os.path.dirname(buildconfig.RUNTIME_LIB),
                            INITTAB) if parts.left_out else None
    out = os.path.join(directory, INITTAB)
    for command in (
            ["ar", "x", _archive(), "config.o"],
            ["objcopy", *(f"--weaken-symbol=PyInit_{m}"
                          for m in parts.dropped), "config.o", INITTAB]):
        proc = subprocess.run(command, capture_output=True, text=True,
                              cwd=directory)
        if proc.returncode != 0:
            raise BuildError(f"{command[0]} failed making the plugin's "
                             f"init table:\n{proc.stderr}")
    return out


def link_flags(parts: Standalone, directory: str,
               debug: bool = False) -> list[str]:
    """In place of the python3-embed libraries: libpython's archive,
    after a copy of its init table when modules are left out (made in
    directory).  -Bsymbolic binds the plugin's own references to its own
    copy, while its Py* symbols stay exported for embedded extensions to
    bind to.  Sections nothing refers to go, and so does the debug
    information of the archives unless the build asks for it (debug)."""
    table = inittab(parts, directory)
    return [*([table] if table else []),
            *shlex.split(buildconfig.STANDALONE_LIBS), "-Wl,-Bsymbolic",
            "-Wl,--gc-sections", *([] if debug else ["-Wl,--strip-all"]),
            *_packed_relocations(directory)]


def _packed_relocations(directory: str) -> list[str]:
    """Relative relocations packed (DT_RELR), where the linker and the C
    library have them: the interpreter's static data holds some 35,000
    pointers, each a 24-byte relocation otherwise.  The linker only warns
    about a -z option it does not know, hence --fatal-warnings."""
    flag = "-Wl,-z,pack-relative-relocs"
    source = os.path.join(directory, "relr.c")
    with open(source, "w") as f:
        f.write("int relr;\n")
    cc = shlex.split(os.environ.get("CC") or buildconfig.CC)
    proc = subprocess.run([*cc, "-shared", "-fPIC", "-Wl,--fatal-warnings",
                           flag, "-o", os.path.join(directory, "relr.so"),
                           source], capture_output=True)
    return [flag] if proc.returncode == 0 else []


def _defined(path: str) -> set[str]:
    proc = subprocess.run(["nm", "-D", "--defined-only", path],
                          capture_output=True, text=True)
    return {line.split()[-1].split("@")[0]
            for line in proc.stdout.splitlines() if line.strip()}


def _library_paths(plugin: str) -> dict[str, str | None]:
    proc = subprocess.run(["ldd", plugin], capture_output=True, text=True)
    paths: dict[str, str | None] = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"\s*(\S+) => (not found|\S+)", line)
        if m:
            paths[m.group(1)] = None if m.group(2) == "not found" \
                else m.group(2)
        elif re.match(r"\s*/\S+ \(", line):  # the dynamic loader
            paths[line.split()[0]] = line.split()[0]
    return paths


def check_undefined(plugin: str) -> None:
    """Every symbol the linked plugin leaves undefined must be nbdkit's
    or come from a library it names: a missing -l would only show when
    nbdkit loads it."""
    proc = subprocess.run(["nm", "-D", "--undefined-only", plugin],
                          capture_output=True, text=True)
    wanted = {line.split()[-1].split("@")[0]
              for line in proc.stdout.splitlines()
              if line.split()[:1] == ["U"]}
    wanted = {s for s in wanted if not s.startswith("nbdkit_")}
    provided: set[str] = set()
    for name, path in _library_paths(plugin).items():
        if path is None:
            raise BuildError(f"the plugin needs {name}, which is not found")
        provided |= _defined(path)
    left = sorted(wanted - provided)
    if left:
        raise BuildError("the standalone plugin leaves symbols undefined "
                         "that no library it names provides: "
                         + ", ".join(left[:10]))
