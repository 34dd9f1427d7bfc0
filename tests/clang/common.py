# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the libclang tests: the header record and the format-string
checker.

Reduced and augmented nbdkit headers are made here at test time from
the installed ones (the paths the record of make names), by text
transforms that must each apply exactly once; no header is copied into
the source tree.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("PYPLUGIN_TOP") or os.path.dirname(os.path.dirname(HERE))

from pyplugin_gen import buildconfig, header_record, nbdkit_header  # noqa
from pyplugin_gen.files import write_atomic  # noqa: E402
from pyplugin_gen.header_record import read_header  # noqa: E402

RUNTIME = os.path.join(TOP, "runtime")
PYPLUGIN_H = os.path.join(RUNTIME, "pyplugin.h")
GENERATED = os.path.join(RUNTIME, "generated")
RECORD = os.path.join(buildconfig.DATA_DIR, nbdkit_header.RECORD_FILE)
GENERATOR = os.environ.get("PYPLUGIN_GEN") or os.path.join(TOP,
                                                           "pyplugin-gen")


def build_flags() -> list[str]:
    """What the runtime and the plugins are compiled with (include
    paths and definitions are what matter to libclang)."""
    return [*shlex.split(buildconfig.PYTHON_CFLAGS),
            *shlex.split(buildconfig.NBDKIT_CFLAGS)]


def runtime_flags(generated: str = GENERATED) -> list[str]:
    return ["-I", RUNTIME, "-I", generated, *build_flags()]


def installed_record() -> nbdkit_header.Record:
    return nbdkit_header.load(RECORD)


def installed_headers() -> dict[str, str]:
    """File name -> path of the nbdkit headers make read."""
    return {name: path for name, (path, _) in
            installed_record().headers.items()}


class Transform:
    """Text edits of nbdkit's headers; each must match exactly once."""

    def __init__(self) -> None:
        self.edits: list[tuple[str, str, str, str]] = []

    def _add(self, header: str, pattern: str, repl: str,
             what: str) -> "Transform":
        self.edits.append((header, pattern, repl, what))
        return self

    def remove_field(self, name: str) -> "Transform":
        """Drop a field of struct nbdkit_plugin (function pointer or
        data), whatever its line breaks."""
        pattern = (r"\n[ \t]*[A-Za-z_][^;{}()]*?(?:\(\s*\*\s*%s\s*\)\s*"
                   r"\([^;]*\)|\*?\s*\b%s)\s*;" % (name, name))
        return self._add("nbdkit-plugin.h", pattern, "\n",
                         f"field {name}")

    def remove_function(self, name: str) -> "Transform":
        pattern = (r"NBDKIT_EXTERN_DECL\s*\(\s*[^,;]+?,\s*%s\s*,[^;]*;"
                   % name)
        return self._add(self._home(name), pattern, "",
                         f"function {name}")

    def add_function(self, decl: str, after: str) -> "Transform":
        """Declare a function (NBDKIT_EXTERN_DECL (...);) right after the
        declaration of function `after`."""
        pattern = (r"(NBDKIT_EXTERN_DECL\s*\(\s*[^,;]+?,\s*%s\s*,[^;]*;)"
                   % after)
        repl = r"\1" + "\n" + decl.replace("\\", "\\\\")
        return self._add(self._home(after), pattern, repl,
                         f"declaration after {after}")

    def add_define(self, name: str, value: str, after: str) -> "Transform":
        """#define name value, on the line after the #define of after."""
        pattern = r"(#define %s\b[^\n]*)" % after
        return self._add(self._home(after), pattern,
                         r"\1" + f"\n#define {name} {value}",
                         f"#define after {after}")

    def version(self, version: str) -> "Transform":
        major, minor, micro = version.split(".")
        self._add("nbdkit-version.h",
                  r'#define NBDKIT_VERSION_STRING "[^"]*"',
                  f'#define NBDKIT_VERSION_STRING "{version}"',
                  "NBDKIT_VERSION_STRING")
        for part, value in (("MAJOR", major), ("MINOR", minor),
                            ("MICRO", micro)):
            self._add("nbdkit-version.h",
                      r"#define NBDKIT_VERSION_%s \d+" % part,
                      f"#define NBDKIT_VERSION_{part} {value}",
                      f"NBDKIT_VERSION_{part}")
        return self

    @staticmethod
    def _home(function: str) -> str:
        for name, path in installed_headers().items():
            with open(path) as f:
                if re.search(r"\b%s\b" % function, f.read()):
                    return name
        raise AssertionError(f"no installed nbdkit header declares "
                             f"{function}")

    def apply(self, directory: str) -> str:
        """Write the transformed headers into directory/include; return
        that directory (to give with -I before everything else)."""
        include = os.path.join(directory, "include")
        os.makedirs(include, exist_ok=True)
        texts = {}
        for name, path in installed_headers().items():
            with open(path) as f:
                texts[name] = f.read()
        for header, pattern, repl, what in self.edits:
            new, n = re.subn(pattern, repl, texts[header])
            if n != 1:
                raise AssertionError(f"the transform of {header} for {what}"
                                     f" matched {n} times, not once")
            texts[header] = new
        for name, text in texts.items():
            with open(os.path.join(include, name), "w") as f:
                f.write(text)
        return include


def make_record(include: str, directory: str) -> str:
    """The record (and the runtime's C header) of the nbdkit headers in
    include, as make would write them; returns the record's path."""
    record = read_header(PYPLUGIN_H, ["-I", include, *build_flags()])
    path = os.path.join(directory, "nbdkit-header.json")
    write_atomic(path, header_record.dumps(record))
    generated = os.path.join(directory, "generated")
    os.makedirs(generated, exist_ok=True)
    write_atomic(os.path.join(generated, "nbdkit-record.h"),
                               header_record.c_header(record))
    return path


def run_generator(args: list[str], record: str | None = None,
                  env: dict | None = None,
                  cwd: str | None = None) -> subprocess.CompletedProcess:
    """./pyplugin-gen in a child process, with another header record."""
    full = dict(os.environ, **(env or {}))
    full.pop(nbdkit_header.RECORD_ENV, None)
    if record is not None:
        full[nbdkit_header.RECORD_ENV] = record
    full["NO_COLOR"] = "1"
    return subprocess.run([GENERATOR, *args], capture_output=True,
                          text=True, env=full, cwd=cwd,
                          stdin=subprocess.DEVNULL)


# A call of an API fmtcheck checks, or of its _SizeT alias; not at the
# start of a line, where the runtime's pyp_call is defined (GNU style),
# nor after the '*' of its declaration.
CALL = re.compile(r"(?<=[^*])\b_?(?:PyObject_CallFunction|PyObject_CallMethod|"
                  r"pyp_call|Py_BuildValue|PyArg_ParseTuple(?:AndKeywords)?|"
                  r"PyArg_Parse|PyErr_Format|PyUnicode_FromFormat)"
                  r"(?:_SizeT)?\s*\(")


def count_calls(path: str, flags: list[str] | None = None) -> int:
    """The calls of the checked APIs that the compiler sees in path
    itself: counted in the output of the C preprocessor (so not in
    comments or code #if leaves out), independently of libclang."""
    command = [*shlex.split(buildconfig.CC), "-E", "-std=gnu11",
               *(runtime_flags() if flags is None else flags), path]
    out = subprocess.run(command, capture_output=True, text=True,
                         check=True).stdout
    calls, mine = 0, False
    for line in out.splitlines():
        m = re.match(r'# \d+ "(.*)"', line)
        if m:
            mine = os.path.abspath(m.group(1)) == os.path.abspath(path)
        elif mine:
            calls += len(CALL.findall(line))
    return calls


def have(program: str) -> bool:
    return shutil.which(program) is not None
