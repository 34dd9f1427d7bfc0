# SPDX-License-Identifier: BSD-3-Clause
"""Compile the script to bytecode, and the rendered C to a plugin.

Everything written goes to a temporary file first and is renamed into
place, so a failure never leaves half a file behind.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from . import buildconfig
from .script import Script


# The highest marshal format the target Python writes (marshal.version:
# shared names read once at load, and on newer Pythons the constants only
# the newest format has, such as slices).  Formats from 3 on write a
# back-reference for each object whose reference count is above one,
# which depends on what else the compiling process holds (CPython issue
# "marshal output is not deterministic").  Loaded again, the code is held
# only by itself: an object's count is the number of places in the code
# that hold it (and interned strings and Python's static objects always
# get a reference), so dumping that copy writes bytes that depend only on
# the source and the Python version.
DUMPS = ("marshal.dumps(marshal.loads(marshal.dumps(code, marshal.version)),"
         " marshal.version)")

# Run by the target Python in a child with a fixed hash seed: the order
# of frozenset constants in the bytecode follows string hashes.  Its
# version comes first, to check against the one configure recorded.
_COMPILE = f"""
import importlib.util, marshal, sys
source = sys.stdin.buffer.read()
code = compile(source, sys.argv[1], "exec", dont_inherit=True, optimize=0)
sys.stdout.buffer.write(b"%d.%d\\n" % sys.version_info[:2])
sys.stdout.buffer.write(importlib.util.MAGIC_NUMBER)
sys.stdout.buffer.write({DUMPS})
"""


class BuildError(Exception):
    """A failure outside the script: toolchain, Python mismatch, I/O."""


@dataclass(frozen=True)
class Bytecode:
    code: bytes
    magic: int  # as PyImport_GetMagicNumber() returns it
    python_version: str


def run_target(args: list[str], what: str,
               **kwargs) -> subprocess.CompletedProcess:
    """Run the target Python (buildconfig.PYTHON) with args; its output
    captured as bytes.  A failure is a BuildError saying what failed."""
    python = buildconfig.PYTHON
    try:
        proc = subprocess.run([python, *args], capture_output=True, **kwargs)
    except OSError as e:
        raise BuildError(f"cannot run the target Python {python}: "
                         f"{e.strerror} (re-run configure)") from e
    if proc.returncode != 0:
        raise BuildError(f"{what} failed in {python}:\n"
                         + proc.stderr.decode(errors="replace"))
    return proc


def compile_script(script: Script) -> Bytecode:
    """The marshalled code object of the script, compiled by the target
    Python."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = run_target(["-S", "-s", "-c", _COMPILE, script.filename],
                     "compiling the script to bytecode",
                     input=script.source, env=env).stdout
    line, _, out = out.partition(b"\n")
    version = line.decode()
    if version != buildconfig.PYTHON_VERSION:
        raise BuildError(
            f"the target Python {buildconfig.PYTHON} is now version "
            f"{version}, but plugins link libpython "
            f"{buildconfig.PYTHON_VERSION}; the embedded bytecode must come "
            "from the same version (re-run configure)")
    magic = int.from_bytes(out[:4], "little")
    return Bytecode(out[4:], magic, version)


def _files(directory: str, suffix: str) -> list[str]:
    return [os.path.join(directory, n) for n in sorted(os.listdir(directory))
            if n.endswith(suffix)]


def build_inputs(script: Script) -> list[str]:
    """Every file a build of script reads, for make dependency files
    (-MD): the script as named, then the templates, the runtime's headers
    and archive, the nbdkit header record and buildconfig.py (the
    generator's version, compiler and flags)."""
    from . import nbdkit_header
    return [
        script.path,
        *_files(buildconfig.TEMPLATES_DIR, ".j2"),
        *_files(buildconfig.RUNTIME_INCLUDE_DIR, ".h"),
        buildconfig.RUNTIME_LIB,
        nbdkit_header.record_path(),
        os.path.abspath(buildconfig.__file__),
    ]


def compiler_command(source: str, output: str, build_dir: str,
                     libs: list[str] | None = None) -> list[str]:
    """The cc command line; CC and CFLAGS from the environment win.
    libs replaces the python3-embed libraries (standalone plugins)."""
    cc = os.environ.get("CC") or buildconfig.CC
    cflags = os.environ.get("CFLAGS")
    if cflags is None:
        cflags = buildconfig.CFLAGS
    return [
        *shlex.split(cc), "-std=gnu11", "-shared", "-fPIC",
        "-fvisibility=hidden", "-Wall", "-Wextra",
        *shlex.split(cflags),
        # Reproducible: no build directory in the output.
        f"-ffile-prefix-map={build_dir}=.",
        "-I", buildconfig.RUNTIME_INCLUDE_DIR,
        *shlex.split(buildconfig.PYTHON_CFLAGS),
        *shlex.split(buildconfig.NBDKIT_CFLAGS),
        "-o", output, source, buildconfig.RUNTIME_LIB,
        *(shlex.split(buildconfig.PYTHON_LIBS) if libs is None else libs),
    ]


def compile_plugin(c_source: str, output: str, name: str,
                   verbose: bool = False, libs: list[str] | None = None,
                   check=None) -> None:
    """Compile the C source into the plugin at output; check, if given,
    is called with the linked plugin before it is put in place."""
    directory = os.path.dirname(os.path.abspath(output))
    with tempfile.TemporaryDirectory(prefix="pyplugin-gen-") as build_dir:
        # Compiled from inside build_dir, so that with -g the recorded
        # compilation directory is build_dir too, mapped away below.
        source = f"{name}-plugin.c"
        with open(os.path.join(build_dir, source), "w",
                  encoding="utf-8") as f:
            f.write(c_source)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".pyplugin-gen-",
                                   suffix=".so")
        os.close(fd)
        try:
            command = compiler_command(source, tmp, build_dir, libs)
            if verbose:
                print(shlex.join(command), file=sys.stderr)
            try:
                proc = subprocess.run(command, capture_output=True,
                                      text=True, cwd=build_dir)
            except OSError as e:
                raise BuildError(f"cannot run the C compiler {command[0]!r}:"
                                 f" {e.strerror}") from e
            if proc.returncode != 0:
                raise BuildError("the C compiler failed:\n" + proc.stderr)
            if check is not None:
                check(tmp)
            os.chmod(tmp, 0o755)
            os.replace(tmp, output)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
