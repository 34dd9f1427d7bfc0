# SPDX-License-Identifier: BSD-3-Clause
"""The runtime under AddressSanitizer and UndefinedBehaviorSanitizer.

The runtime (runtime/*.c), its CUnit tests (tests/unit) and a plugin
generated from corpus/misbehave.py are compiled with
-fsanitize=address,undefined.  The CUnit program runs as it is; the
plugin runs in nbdkit, which is not instrumented, so ASan's runtime is
preloaded into it (with the shim of common.SHIM_SOURCE, without which
nbdkit and Python deadlock in setlocale under a preloaded ASan), while
the misbehaving-script cases of test_misbehaving.py run against it.

Any ASan or UBSan report fails the test.  LeakSanitizer runs too, with
PYTHONMALLOC=malloc (it does not scan the arenas of Python's own
allocator, so without it everything only Python objects point to looks
leaked): the direct leaks allocated by the runtime or the generated code, or
by a Python function they called themselves (a frame of theirs nearer
the allocation than any Python interpreter frame, start-up or
finalization), fail the test; the rest are Python's own (what it keeps
until exit, and the strings it interns immortal and loses when an
interpreter ends: common.interned_by_python) and are only counted.
Canaries (plugins with a deliberate heap overflow, and a deliberate
leak) show the set-up catches both.
"""

import glob
import os
import re
import subprocess
import unittest

from common import (GEN, TOP, Control, build_shim, buildconfig,
                    canary, compile_c, compile_plugin, corpus,
                    interned_by_python, run)

import test_misbehaving

SAN = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer",
       "-fno-sanitize-recover=undefined", "-g", "-O1"]
SCRIPT = corpus("misbehave.py")

# Frames that mean "Python's own work": an allocation made under one of
# these before any runtime frame is not the runtime's to free.
# (Py_NewInterpreterFromConfig and Py_EndInterpreter: Python's start and
# end of a connection's interpreter, which keep, as Python's own start-up
# does, what an interpreter alive at exit holds.)
PYTHON_BOUNDARIES = ("_PyEval_EvalFrameDefault", "Py_InitializeFromConfig",
                     "Py_FinalizeEx", "PyEval_EvalCode",
                     "Py_NewInterpreterFromConfig", "Py_EndInterpreter")


def sanitizer_library(name):
    """The path of libNAME.so the compiler links, or None."""
    try:
        p = subprocess.run(buildconfig().CC.split()
                           + ["-print-file-name=lib%s.so" % name],
                           capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    path = os.path.realpath(p.stdout.strip())
    return path if os.path.isabs(path) and os.path.exists(path) else None


def sanitizer_errors(text):
    """ASan and UBSan reports (not leaks) in text."""
    return [m.group(0) for m in re.finditer(
        r"^.*(ERROR: AddressSanitizer|runtime error:).*$", text, re.M)]


def runtime_leaks(text, ours_dirs):
    """(leaks the runtime or the generated code is answerable for, all
    leak reports) in LeakSanitizer's text; ours_dirs are the
    directories of their sources.  Only direct leaks can be: an
    indirect one is reachable from a direct one, which is where the
    fault is (as valgrind's definite leaks, test_valgrind.py).  A block
    of the runtime's that nbdkit holds in a connection it does not free
    at exit is such an indirect leak."""
    reports = re.split(r"\n(?=(?:Direct|Indirect) leak of )", text)[1:]
    ours = []
    for report in reports:
        if not report.startswith("Direct"):
            continue
        frames = re.findall(r"^\s+#\d+ 0x[0-9a-f]+ (.*)$", report, re.M)
        # (frames[0] is malloc, ASan's.)
        boundaries = PYTHON_BOUNDARIES + interned_by_python(
            [m.group(1) if m else "?"
             for m in (re.match(r"in (\S+)", f) for f in frames[1:])])
        for frame in frames:
            if any(b in frame for b in boundaries):
                break
            if any(d + os.sep in frame for d in ours_dirs):
                ours.append(report)
                break
    return ours, reports


def read_logs(pattern):
    text = ""
    for path in sorted(glob.glob(pattern)):
        with open(path, errors="replace") as f:
            text += f.read()
    return text


class Sanitizers(test_misbehaving.Misbehaving, unittest.TestCase):
    TARGET = "generated"
    GEN_ARGS = ()           # pyplugin-gen's options for the plugin
    CASES = (test_misbehaving.raising_cases()
             + test_misbehaving.setup_cases()
             + test_misbehaving.wrong_results()
             + test_misbehaving.exception_cases())

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.libasan = sanitizer_library("asan")
        if cls.libasan is None or sanitizer_library("ubsan") is None:
            raise unittest.SkipTest("the C compiler has no ASan or UBSan")
        config = buildconfig()
        cls.build = os.path.join(cls.tmpdir, "san")
        os.mkdir(cls.build)
        runtime = os.path.join(TOP, "runtime")
        # (runtime/generated: what make writes from nbdkit's header.)
        cflags = ["-std=gnu11", "-fPIC", "-Wall", "-Wextra", *SAN,
                  "-I", os.path.join(runtime, "generated"),
                  *config.PYTHON_CFLAGS.split(), *config.NBDKIT_CFLAGS.split()]
        libs = config.PYTHON_LIBS.split()
        objects = []
        for src in sorted(glob.glob(os.path.join(runtime, "*.c"))):
            obj = os.path.join(cls.build,
                               os.path.basename(src)[:-2] + ".o")
            compile_c(cflags + ["-c", src, "-o", obj])
            objects.append(obj)
        cls.archive = os.path.join(cls.build, "libpyplugin-san.a")
        run(["ar", "rcs", cls.archive] + objects)
        cls.build_unit_program(cflags, libs)
        c_source = os.path.join(cls.build, "misbehave.c")
        run([GEN, *cls.GEN_ARGS, SCRIPT, "-S", c_source])
        with open(c_source) as f:
            cls.c_text = f.read()
        cls.plugin = cls.compile_plugin("misbehave-san.so", cls.c_text)
        cls.shim = build_shim(cls.build, locale=True)

    @classmethod
    def build_unit_program(cls, cflags, libs):
        """The CUnit program, with the sanitized runtime."""
        runtime = os.path.join(TOP, "runtime")
        unit = os.path.join(TOP, "tests", "unit")
        cls.unit_program = os.path.join(cls.build, "test-runtime-san")
        compile_c(cflags + ["-I", runtime, "-I", unit, "-o",
                            cls.unit_program,
                            *sorted(glob.glob(os.path.join(unit, "*.c"))),
                            os.path.join(runtime, "generated",
                                         "fake-nbdkit-stubs.c"),
                            cls.archive, "-lcunit", *libs, "-lpthread"])

    @classmethod
    def compile_plugin(cls, name, c_text):
        c_source = os.path.join(cls.build, name[:-3] + ".c")
        with open(c_source, "w") as f:
            f.write(c_text)
        return compile_plugin(c_source, os.path.join(cls.build, name), SAN,
                              cls.archive)

    def sanitizer_env(self, logs):
        return {
            "LD_PRELOAD": "%s %s" % (self.shim, self.libasan),
            # The shim comes first so that its setlocale wins.
            # libpython has no frame pointers: the slow unwinder, to
            # see the runtime's frames under Python's, 24 frames deep.
            "ASAN_OPTIONS": "verify_asan_link_order=0:detect_leaks=1:"
                            "fast_unwind_on_malloc=0:malloc_context_size=24:"
                            "log_path=" + logs,
            "LSAN_OPTIONS": "exitcode=0",
            # Python's own allocator takes its arenas from mmap, which
            # LeakSanitizer does not scan: what only small objects point
            # to would look leaked.
            "PYTHONMALLOC": "malloc",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:"
                             "log_path=" + logs,
        }

    # --- Misbehaving's server, instrumented -------------------------

    plugin_under_test = None

    def server(self, control):
        from common import Server
        # LeakSanitizer scans the heap as nbdkit exits, slowly on a busy
        # machine: killed before it ends, it would report nothing.
        return Server(self.plugin_under_test or self.plugin,
                      env=dict(control.env, **self.env), stop_timeout=120)

    # --- the tests ---------------------------------------------------

    def test_unit_tests(self):
        """The CUnit tests pass under ASan and UBSan."""
        logs = os.path.join(self.build, "unit")
        env = dict(os.environ, **{
            "PYTHONMALLOC": "malloc",
            "ASAN_OPTIONS": "detect_leaks=1:fast_unwind_on_malloc=0:"
                            "exitcode=0:log_path=" + logs,
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:"
                             "log_path=" + logs})
        p = subprocess.run([self.unit_program], capture_output=True,
                           text=True, errors="replace", timeout=600,
                           env=env, cwd=TOP, stdin=subprocess.DEVNULL)
        out = p.stdout + p.stderr
        reports = read_logs(logs + ".*")
        self.assertEqual(sanitizer_errors(out + reports), [], reports)
        self.assertEqual(p.returncode, 0, out[-3000:])
        m = re.search(r"^\s*tests\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)", out,
                      re.M)
        self.assertIsNotNone(m, out[-3000:])
        self.assertEqual(m.group(4), "0", "CUnit failures:\n" + out[-3000:])
        ours, leaks = runtime_leaks(reports, self.ours_dirs)
        self.assertEqual(ours, [], "leaks of the runtime:\n"
                         + "\n".join(ours))

    @property
    def ours_dirs(self):
        return (os.path.join(TOP, "runtime"), self.build)

    def test_end_to_end(self):
        """Every misbehaving-script case of test_misbehaving.py, with the
        runtime and the generated code instrumented."""
        logs = os.path.join(self.build, "e2e")
        self.env = self.sanitizer_env(logs)
        stderr = self.run_cases()
        # UBSan's reports go to nbdkit's stderr (see run_canary).
        reports = read_logs(logs + ".*") + stderr
        self.assertEqual(sanitizer_errors(reports), [], reports[:20000])
        ours, leaks = runtime_leaks(reports, self.ours_dirs)
        self.assertEqual(ours, [], "leaks of the runtime:\n"
                         + "\n".join(ours))
        # The leak check did run: Python keeps some memory until exit.
        self.assertTrue(leaks, "LeakSanitizer reported nothing at all")

    def run_canary(self, name, code, reads):
        """Serve a plugin with code inserted into pread and read from it
        `reads` times; returns the sanitizers' reports: their log files,
        and nbdkit's stderr, where UBSan's go beside ASan (gcc's libubsan
        passes its log_path to __sanitizer_set_report_path, which
        resolves to libasan's, loaded first)."""
        self.plugin_under_test = self.compile_plugin(
            name + ".so", canary(self.c_text, code))
        logs = os.path.join(self.build, name)
        self.env = self.sanitizer_env(logs)
        control = Control(os.path.join(self.tmpdir, name + "-orders"))
        with self.server(control) as srv:
            h = srv.connect()
            for _ in range(reads):
                try:
                    h.pread(512, 0)
                except Exception:
                    break
            srv.stop()
        return read_logs(logs + ".[0-9]*") + srv.log

    def test_canary(self):
        """A heap overflow in the generated pread is caught, and so is a
        leak of 64 bytes a read, as the plugin's."""
        reports = self.run_canary(
            "overflow", "  { volatile char *p = malloc (count);\n"
                        "    p[count] = 1;\n"
                        "    free ((char *) p); }\n", 1)
        # Whichever sanitizer sees it first reports it: ASan, or (as gcc
        # 14 and later instrument it) UBSan's object-size check.
        self.assertRegex(reports, r"heap-buffer-overflow|runtime error: "
                         r"store to address 0x[0-9a-f]+ with insufficient "
                         r"space for an object")
        self.assertIn("pread_wrapper", reports)
        reports = self.run_canary(
            "leak", "  { volatile char *p = malloc (64); p[0] = 1; }\n", 3)
        ours, _ = runtime_leaks(reports, self.ours_dirs)
        self.assertEqual(len(ours), 1, reports[:5000])
        self.assertIn("192 byte(s) in 3 object(s)", ours[0])
