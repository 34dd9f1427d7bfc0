# SPDX-License-Identifier: BSD-3-Clause
"""How pyplugin-gen reports problems as a command: exit status, nothing
written on error, several scripts, unreadable files, the terminal display,
and --import."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import tempfile
import textwrap
import time
import unittest
from unittest import mock

from common import generator_command, generator_env, run_check

from pyplugin_gen import cli, introspect, nbdkit_header, sitepath
from pyplugin_gen.diagnostics import Diagnostics
from pyplugin_gen.script import read
from pyplugin_gen.signatures import Signature

GOOD = textwrap.dedent("""\
    API_VERSION = 2


    def open(readonly):
        return 1


    def get_size(h):
        return 0


    def pread(h, buf, offset, flags):
        pass
    """)
BAD = GOOD.replace("def pread(h, buf, offset, flags):",
                   "def pread(h, count, offset):")
BAD_MESSAGE = ("12:5: error: pread takes (h, buf, offset, flags) in API 2 "
               "(API_VERSION = 2); it is defined with 3 parameters")
WARN = GOOD + "\n\ndef pwirte(h, buf, offset, flags):\n    pass\n"


def have_compiler() -> bool:
    try:
        from pyplugin_gen import buildconfig
    except ImportError:
        return False
    return bool(shutil.which(os.environ.get("CC") or buildconfig.CC)) and \
        os.path.exists(buildconfig.RUNTIME_LIB)


class TempDir(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pyplugin-gen-check-")
        self.addCleanup(shutil.rmtree, self.dir)

    def write(self, name: str, text: str | bytes) -> str:
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(text.encode("utf-8") if isinstance(text, str) else text)
        return path

    def run_gen(self, *args: str, cwd: str | None = None,
                env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([*generator_command(), *args],
                              capture_output=True, text=True,
                              cwd=cwd or self.dir,
                              env=env or generator_env(), timeout=120)


class ExitStatus(TempDir):
    """The real command, in its own process."""

    def test_error_is_status_1(self):
        path = self.write("bad.py", BAD)
        proc = self.run_gen("--check", path)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stderr, f"{path}:{BAD_MESSAGE}\n")
        self.assertEqual(proc.stdout, "")

    def test_clean_is_silent_status_0(self):
        path = self.write("good.py", GOOD)
        proc = self.run_gen("--check", path)
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr),
                         (0, "", ""))

    def test_warning_is_status_0_unless_werror(self):
        path = self.write("warn.py", WARN)
        proc = self.run_gen("--check", path)
        self.assertEqual(proc.returncode, 0)
        self.assertIn(": warning: function 'pwirte' is not an nbdkit "
                      "callback; did you mean 'pwrite'?", proc.stderr)
        proc = self.run_gen("--check", "-Werror", path)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(": error: function 'pwirte' is not an nbdkit callback;"
                      " did you mean 'pwrite'? [-Werror=near-miss]",
                      proc.stderr)
        proc = self.run_gen("--check", "-Werror", "-Wno-error", path)
        self.assertEqual(proc.returncode, 0)
        # -Wno-NAME turns that warning off, under -Werror too.
        proc = self.run_gen("--check", "-Werror", "-Wno-near-miss", path)
        self.assertEqual((proc.returncode, proc.stderr), (0, ""))

    def test_unknown_warning_option(self):
        proc = self.run_gen("--check", "-Wno-such-thing", "x.py")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("unknown warning option '-Wno-such-thing'",
                      proc.stderr)

    def test_usage_error_is_status_1(self):
        proc = self.run_gen("--no-such-option", "x.py")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("pyplugin-gen: error:", proc.stderr)

    def test_help_says_the_script_is_not_run(self):
        proc = self.run_gen("--help")
        self.assertEqual(proc.returncode, 0)
        text = " ".join(proc.stdout.split())
        self.assertIn("never run, unless --import is given", text)
        self.assertIn("--import", text)
        self.assertIn("-Werror", text)
        self.assertIn("--check", text)


class NothingWritten(TempDir):
    def assertOnly(self, *names: str) -> None:
        self.assertEqual(sorted(os.listdir(self.dir)), sorted(names))

    def test_no_plugin_on_error(self):
        path = self.write("bad.py", BAD)
        status, _, err = run_check([path, "-o",
                                    os.path.join(self.dir, "bad.so")])
        self.assertEqual(status, 1, err)
        self.assertOnly("bad.py")

    def test_no_c_source_on_error(self):
        path = self.write("bad.py", BAD)
        status, _, err = run_check([path, "-S",
                                    os.path.join(self.dir, "bad.c")])
        self.assertEqual(status, 1, err)
        self.assertOnly("bad.py")

    def test_no_default_output_on_error(self):
        self.write("bad.py", BAD)
        proc = self.run_gen("bad.py")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertOnly("bad.py")

    def test_werror_writes_nothing(self):
        path = self.write("warn.py", WARN)
        status, _, err = run_check(["-Werror", path, "-S",
                                    os.path.join(self.dir, "warn.c")])
        self.assertEqual(status, 1, err)
        self.assertOnly("warn.py")

    def test_existing_output_left_alone(self):
        path = self.write("bad.py", BAD)
        out = self.write("bad.c", "previous contents\n")
        status, _, _ = run_check([path, "-S", out])
        self.assertEqual(status, 1)
        with open(out) as f:
            self.assertEqual(f.read(), "previous contents\n")

    def test_one_bad_script_of_several_writes_nothing(self):
        self.write("good.py", GOOD)
        self.write("bad.py", BAD)
        proc = self.run_gen("good.py", "bad.py")
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stderr, f"bad.py:{BAD_MESSAGE}\n")
        self.assertOnly("bad.py", "good.py")

    def test_c_source_written_when_clean(self):
        # The counterpart of the tests above: they would pass if nothing
        # were ever written.
        path = self.write("good.py", GOOD)
        out = os.path.join(self.dir, "good.c")
        if not have_compiler():
            self.skipTest("not configured (no buildconfig or runtime)")
        status, _, err = run_check([path, "-S", out])
        self.assertEqual(status, 0, err)
        self.assertOnly("good.py", "good.c")


class SeveralScripts(TempDir):
    def test_every_problem_of_every_script(self):
        a = self.write("a.py", BAD)
        b = self.write("b.py", "API_VERSION = 3\n")
        c = self.write("c.py", GOOD)
        status, _, err = run_check(["--check", a, b, c])
        self.assertEqual(status, 1)
        lines = err.splitlines()
        self.assertEqual(lines[0], f"{a}:{BAD_MESSAGE}")
        self.assertIn(f"{b}:1:15: error: API_VERSION declares API version 3;"
                      " only 1 and 2 exist", lines)
        # b's missing callbacks are reported too, not only its first error.
        self.assertEqual(len([x for x in lines if x.startswith(b)]), 4)
        self.assertIn(f"{b}:1:1: error: required callback 'pread' is not "
                      "defined", lines)
        self.assertFalse(any(x.startswith(c) for x in lines))

    def test_files_in_command_line_order(self):
        a = self.write("z.py", BAD)
        b = self.write("a.py", BAD)
        _, _, err = run_check(["--check", a, b])
        self.assertEqual(err.splitlines(), [f"{a}:{BAD_MESSAGE}",
                                            f"{b}:{BAD_MESSAGE}"])

    def test_output_options_need_one_script(self):
        a = self.write("a.py", GOOD)
        b = self.write("b.py", GOOD)
        for option in (["-o", "x.so"], ["-S", "x.c"], ["--name", "x"]):
            with self.subTest(option=option[0]):
                status, _, err = run_check([a, b, *option])
                self.assertEqual(status, 1)
                self.assertIn(f"pyplugin-gen: error: {option[0]} names the "
                              "output of one script", err)
        self.assertEqual(sorted(os.listdir(self.dir)), ["a.py", "b.py"])

    def test_same_output_twice(self):
        os.mkdir(os.path.join(self.dir, "sub"))
        a = self.write("disk.py", GOOD)
        b = self.write("sub/disk.py", GOOD)
        status, _, err = run_check([a, b])
        self.assertEqual(status, 1)
        self.assertIn("would both be built to disk-plugin.so", err)

    def test_several_scripts_build_each(self):
        if not have_compiler():
            self.skipTest("not configured (no buildconfig or runtime)")
        self.write("one.py", GOOD)
        self.write("two.py", GOOD)
        proc = self.run_gen("one.py", "two.py")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.dir,
                                                    "one-plugin.so")))
        self.assertTrue(os.path.exists(os.path.join(self.dir,
                                                    "two-plugin.so")))
        # What site computes is asked of Python once for the whole run.
        old = os.getcwd()
        os.chdir(self.dir)
        self.addCleanup(os.chdir, old)
        with mock.patch.object(cli, "bake_site",
                               wraps=sitepath.bake_site) as bake:
            status, _, err = run_check(["one.py", "two.py"])
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(bake.call_count, 1)


class Unreadable(TempDir):
    def test_missing_file(self):
        path = os.path.join(self.dir, "nope.py")
        status, _, err = run_check(["--check", path])
        self.assertEqual(status, 1)
        self.assertEqual(err, f"{path}: error: cannot read script: No such "
                         "file or directory\n")

    def test_directory(self):
        status, _, err = run_check(["--check", self.dir])
        self.assertEqual(status, 1)
        self.assertEqual(err, f"{self.dir}: error: cannot read script: Is a "
                         "directory\n")

    def test_unreadable_does_not_hide_the_others(self):
        missing = os.path.join(self.dir, "nope.py")
        bad = self.write("bad.py", BAD)
        status, _, err = run_check(["--check", missing, bad])
        self.assertEqual(status, 1)
        self.assertEqual(err.splitlines()[1], f"{bad}:{BAD_MESSAGE}")

    def test_not_a_directory(self):
        # Any OSError is reported with its reason; this one happens even
        # to root, unlike a permission error.
        path = os.path.join(self.write("file.py", GOOD), "inside.py")
        status, _, err = run_check(["--check", path])
        self.assertEqual(status, 1)
        self.assertEqual(err, f"{path}: error: cannot read script: Not a "
                         "directory\n")

    def test_file_name_not_utf8(self):
        name = os.fsdecode(b"bad\xff.py")
        path = self.write(name, GOOD)
        status, _, err = run_check(["--check", path])
        self.assertEqual(status, 1)
        self.assertIn("error: the script's file name is not valid UTF-8",
                      err)


class Terminal(TempDir):
    """Source line, caret and colour on a terminal; plain elsewhere."""

    def run_on_pty(self, *args: str, env: dict | None = None) -> str:
        pid, fd = pty.fork()
        if pid == 0:  # the child: stdout and stderr are the terminal
            try:
                environment = env or generator_env()
                os.chdir(self.dir)
                command = generator_command()
                os.execvpe(command[0], [*command, *args], environment)
            finally:
                os._exit(127)
        chunks = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1)
            if not ready:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        os.close(fd)
        _, status = os.waitpid(pid, 0)
        self.status = os.waitstatus_to_exitcode(status)
        return b"".join(chunks).decode().replace("\r\n", "\n")

    def term_env(self, **extra) -> dict:
        env = generator_env()
        env.pop("NO_COLOR", None)
        env["TERM"] = "xterm"
        env.update(extra)
        return env

    def test_caret_and_colour(self):
        self.write("bad.py", BAD)
        out = self.run_on_pty("--check", "bad.py", env=self.term_env())
        self.assertEqual(self.status, 1)
        self.assertEqual(out, (
            "\033[1mbad.py:12:5:\033[m \033[1;31merror:\033[m pread takes "
            "(h, buf, offset, flags) in API 2 (API_VERSION = 2); it is "
            "defined with 3 parameters\n"
            "   12 | def pread(h, count, offset):\n"
            "      |     \033[1;32m^~~~~\033[m\n"))

    def test_no_colour(self):
        self.write("bad.py", BAD)
        out = self.run_on_pty("--check", "bad.py",
                              env=self.term_env(NO_COLOR="1"))
        self.assertEqual(out, (
            "bad.py:12:5: error: pread takes (h, buf, offset, flags) in API "
            "2 (API_VERSION = 2); it is defined with 3 parameters\n"
            "   12 | def pread(h, count, offset):\n"
            "      |     ^~~~~\n"))

    def test_notes_and_tabs(self):
        self.write("dup.py", GOOD + "\n\nif True:\n\tdef pread(h, buf, "
                   "offset, flags):\n\t\tpass\n\n\ndef pread(h, buf, offset,"
                   " flags):\n    pass\n")
        out = self.run_on_pty("--check", "dup.py",
                              env=self.term_env(TERM="dumb"))
        self.assertEqual(self.status, 0)
        self.assertEqual(out, (
            "dup.py:21:5: warning: callback 'pread' is defined again; the "
            "last definition is the one used, as in Python [-Wredefined]\n"
            "   21 | def pread(h, buf, offset, flags):\n"
            "      |     ^~~~~\n"
            "dup.py:12:5: note: previous definition of 'pread' was here\n"
            "   12 | def pread(h, buf, offset, flags):\n"
            "      |     ^~~~~\n"))

    def test_pipe_is_plain(self):
        path = self.write("bad.py", BAD)
        proc = self.run_gen("--check", path, env=self.term_env())
        self.assertEqual(proc.stderr, f"{path}:{BAD_MESSAGE}\n")
        self.assertNotIn("\033", proc.stderr)


class Import(TempDir):
    def test_default_never_runs_the_script(self):
        marker = os.path.join(self.dir, "ran")
        path = self.write("side_effect.py",
                          f"import builtins\nbuiltins.open({marker!r}, 'w')"
                          ".close()\n" + GOOD)
        status, _, err = run_check(["--check", path])
        self.assertEqual((status, err), (0, ""))
        self.assertFalse(os.path.exists(marker))
        status, _, err = run_check(["--check", "--import", path])
        self.assertEqual((status, err), (0, ""))
        self.assertTrue(os.path.exists(marker))

    def test_script_output_is_not_a_report(self):
        path = self.write("noisy.py", "print('{\"names\": {}}')\n" + GOOD)
        status, out, err = run_check(["--check", "--import", path])
        self.assertEqual((status, out, err), (0, "", ""))

    def test_sys_exit_at_import(self):
        path = self.write("exits.py", GOOD + "\nimport sys\nsys.exit(3)\n")
        status, _, err = run_check(["--check", "--import", path])
        self.assertEqual(status, 1)
        self.assertEqual(err, f"{path}:16:1: error: importing the script "
                         "raised SystemExit: 3\n")

    def test_timeout(self):
        path = self.write("forever.py", GOOD + "\nwhile True:\n    pass\n")
        env = {"PYPLUGIN_GEN_IMPORT_TIMEOUT": "1"}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            start = time.monotonic()
            status, _, err = run_check(["--check", "--import", path])
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k)
                else:
                    os.environ[k] = v
        self.assertLess(time.monotonic() - start, 30)
        self.assertEqual(status, 1)
        self.assertEqual(err, f"{path}:1:1: error: importing the script did "
                         "not finish within 1 seconds\n")

    def test_crash(self):
        path = self.write("crash.py", GOOD + "\nimport os, signal\n"
                          "os.kill(os.getpid(), signal.SIGSEGV)\n")
        status, _, err = run_check(["--check", "--import", path])
        self.assertEqual(status, 1)
        self.assertEqual(err, f"{path}:1:1: error: importing the script "
                         "killed Python (SIGSEGV)\n")

    def test_no_script_directory_on_sys_path(self):
        # As in the plugin, where the script travels without its directory.
        self.write("helper_module_x.py", "X = 1\n")
        path = self.write("uses_helper.py",
                          "import helper_module_x\n" + GOOD)
        status, _, err = run_check(["--check", "--import", path])
        self.assertEqual(status, 1)
        self.assertIn("importing the script raised ModuleNotFoundError", err)

    def test_static_errors_skip_the_import(self):
        marker = os.path.join(self.dir, "ran")
        path = self.write("bad.py", f"import builtins\nbuiltins.open("
                          f"{marker!r}, 'w').close()\n" + GOOD +
                          "API_VERSION = 7\n")
        status, _, _ = run_check(["--check", "--import", path])
        self.assertEqual(status, 1)
        self.assertFalse(os.path.exists(marker))

    def test_dynamic_callbacks_are_generated(self):
        if not have_compiler():
            self.skipTest("not configured (no buildconfig or runtime)")
        path = self.write("dyn.py", GOOD + textwrap.dedent("""
            def _flush(h, flags):
                pass
            globals()["flush"] = _flush
            """))
        # introspect says what the import found; the Script read from
        # the source is left as it was.
        diags = Diagnostics()
        source = read(path, diags)
        found = introspect.introspect(source, diags)
        self.assertEqual(diags.items, [])
        self.assertEqual(list(found.callbacks),
                         ["open", "get_size", "pread", "flush"])
        flush = found.callbacks["flush"]
        self.assertEqual((flush.kind, flush.signature, flush.line),
                         ("def", Signature(2, 2, False, ()), 15))
        self.assertEqual(list(source.callbacks),
                         ["open", "get_size", "pread"])
        self.assertFalse(source.imported)
        out = os.path.join(self.dir, "dyn.c")
        status, _, err = run_check(["--import", path, "-S", out])
        self.assertEqual(status, 0, err)
        with open(out) as f:
            c = f.read()
        self.assertIn(" * Callbacks: open, get_size, pread, flush\n", c)
        self.assertIn(".flush = flush_wrapper,", c)
        # Without --import, flush is not seen and not registered.
        status, _, err = run_check([path, "-S", out])
        self.assertEqual(status, 0, err)
        with open(out) as f:
            self.assertNotIn(".flush = flush_wrapper,", f.read())

    def test_stand_in_module_matches_the_runtime(self):
        """The stand-in nbdkit module has every helper the plugin's
        module has with this nbdkit (the record's; tests/clang holds
        module.c to it, and the stand-in to other headers' records)."""
        helpers = nbdkit_header.python_helpers(nbdkit_header.load())
        self.assertIn("parse_size", helpers)
        namespace = {}
        exec(introspect.STAND_IN, namespace)
        stand_in = {k for k, v in namespace.items()
                    if callable(v) and not k.startswith("_")}
        self.assertLessEqual(set(helpers), stand_in)

    def test_import_sees_the_record_constants(self):
        """Under --import the script sees nbdkit's constants as the
        record of the header has them, as the plugin's module does."""
        record = nbdkit_header.load()
        self.assertEqual(record.constants["FLAG_FUA"], 2)  # documented
        self.assertEqual(record.constants["THREAD_MODEL_PARALLEL"], 3)
        script = textwrap.dedent("""\
            import nbdkit
            names = [n for n in dir(nbdkit) if n.isupper() and n[0] != "_"]
            if {n: getattr(nbdkit, n) for n in names} != WANT:
                raise RuntimeError(names)
            def open(readonly): return 1
            def get_size(h): return 1
            def pread(h, count, offset): return bytes(count)
            """)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "consts.py")
            for want, status in ((record.constants, 0),
                                 ({**record.constants, "EXTRA": 1}, 1)):
                with open(path, "w") as f:
                    f.write(script.replace("WANT", repr(want)))
                got, _, err = run_check(["--import", "--check", path])
                self.assertEqual(got, status, err)

    def test_stand_in_parse_size(self):
        namespace = {}
        exec(introspect.STAND_IN, namespace)
        parse_size = namespace["parse_size"]
        self.assertEqual(parse_size("1M"), 1 << 20)
        self.assertEqual(parse_size("4k"), 4096)
        self.assertEqual(parse_size("512"), 512)
        self.assertEqual(parse_size("2G"), 2 << 30)
        with self.assertRaises(ValueError):
            parse_size("lots")
        self.assertTrue(namespace["parse_bool"]("on"))
        self.assertFalse(namespace["parse_bool"]("0"))
