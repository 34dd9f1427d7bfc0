# SPDX-License-Identifier: BSD-3-Clause
"""The record of nbdkit's header (gen/pyplugin_gen/header_record.py) and
what the generator does with it (nbdkit_header.py): it is current, the
callback table agrees with it, and against a reduced header made here
from the installed one, generation fails naming the callback and the
nbdkit version."""

import dataclasses
import json
import os
import re
import shlex
import subprocess
import tempfile
import textwrap
import unittest

from common import (PYPLUGIN_H, RECORD, TOP, Transform,
                    build_flags, buildconfig, installed_record, make_record,
                    nbdkit_header, read_header, run_generator, runtime_flags)
from pyplugin_gen import header_record
from pyplugin_gen.callbacks import BY_NAME, CALLBACKS
from pyplugin_gen.callbacks import CParam

# A diagnostic line of the generator.
DIAGNOSTIC = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): "
                        r"(?P<severity>error|warning): (?P<message>.*)$")


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))
    return path


def released(*extra):
    """A released-dialect script with the required callbacks and extra
    source lines."""
    return "\n".join(("API_VERSION = 2", "def open(readonly): return 1",
                      "def get_size(h): return 0",
                      "def pread(h, buf, offset, flags): pass", *extra, ""))


class InstalledRecord(unittest.TestCase):
    """data/nbdkit-header.json, as make wrote it."""

    @classmethod
    def setUpClass(cls):
        cls.record = installed_record()
        with open(RECORD) as f:
            cls.data = json.load(f)

    def test_current(self):
        # make wrote it from the header installed now.
        fresh = read_header(PYPLUGIN_H, build_flags())
        self.assertEqual(header_record.dumps(fresh),
                         header_record.dumps(self.data),
                         "data/nbdkit-header.json is stale: run make")
        self.assertEqual(self.record.stale_headers(), [])

    def test_version_is_configures(self):
        self.assertEqual(self.record.nbdkit_version,
                         buildconfig.NBDKIT_VERSION)

    def test_api_version_is_the_plugins(self):
        with open(PYPLUGIN_H) as f:
            m = re.search(r"^#define NBDKIT_API_VERSION (\d+)$", f.read(),
                          re.M)
        self.assertEqual(self.record.api_version, int(m.group(1)))
        # Read at version 2: pread has flags, the v1 fields are renamed.
        self.assertEqual(len(self.record.callbacks["pread"].params), 5)
        self.assertIn("_pread_v1", self.record.fields)

    def test_fields_in_order_with_types(self):
        names = list(self.record.fields)
        self.assertEqual(names[:4], ["_struct_size", "_api_version",
                                     "_thread_model", "name"])
        self.assertEqual(self.record.fields["longname"], "const char *")
        self.assertEqual(self.record.fields["get_size"],
                         "int64_t (*)(void *)")
        self.assertEqual(self.record.callbacks["block_size"].params,
                         (("handle", "void *"), ("minimum", "uint32_t *"),
                          ("preferred", "uint32_t *"),
                          ("maximum", "uint32_t *")))

    def test_functions(self):
        fns = self.record.functions
        self.assertTrue(fns["nbdkit_debug"].variadic)
        self.assertFalse(fns["nbdkit_parse_size"].variadic)
        self.assertEqual(fns["nbdkit_parse_size"].ret, "int64_t")
        self.assertEqual(fns["nbdkit_nanosleep"].types,
                         ("unsigned int", "unsigned int"))
        self.assertTrue(all(n.startswith("nbdkit_") for n in fns))

    def test_headers_recorded(self):
        self.assertIn("nbdkit-plugin.h", self.record.headers)
        self.assertIn("nbdkit-version.h", self.record.headers)

    def test_constants(self):
        # The values nbdkit-plugin(3) documents, in the header's order.
        c = self.record.constants
        self.assertEqual(list(c)[:4], [
            "THREAD_MODEL_SERIALIZE_CONNECTIONS",
            "THREAD_MODEL_SERIALIZE_ALL_REQUESTS",
            "THREAD_MODEL_SERIALIZE_REQUESTS", "THREAD_MODEL_PARALLEL"])
        self.assertEqual((c["FLAG_MAY_TRIM"], c["FLAG_FUA"], c["FLAG_REQ_ONE"],
                          c["FLAG_FAST_ZERO"]), (1, 2, 4, 8))
        self.assertEqual((c["FUA_NATIVE"], c["CACHE_EMULATE"],
                          c["EXTENT_HOLE"], c["EXTENT_ZERO"]), (2, 1, 1, 2))
        self.assertTrue(all(n.startswith(header_record.CONSTANT_GROUPS)
                            for n in c))

    def test_runtime_header_lists_the_constants(self):
        text = header_record.c_header(self.data)
        listed = re.findall(r"^  X \((\w+)\) \\$", text, re.M)
        self.assertEqual(listed, list(self.record.constants))


class NewConstant(unittest.TestCase):
    """A constant a newer nbdkit adds reaches the record, with the value
    the compiler gives its macro, and so the runtime's list."""

    def test_added_constant(self):
        with tempfile.TemporaryDirectory(prefix="pyplugin-const-") as tmp:
            include = Transform().add_define(
                "NBDKIT_FLAG_NEW_THING", "(1<<4) /* a comment */",
                after="NBDKIT_FLAG_FAST_ZERO").apply(tmp)
            record = nbdkit_header.load(make_record(include, tmp))
            with open(os.path.join(tmp, "generated",
                                   "nbdkit-record.h")) as f:
                text = f.read()
        names = list(record.constants)
        self.assertEqual(record.constants["FLAG_NEW_THING"], 16)
        self.assertEqual(names.index("FLAG_NEW_THING"),
                         names.index("FLAG_FAST_ZERO") + 1)
        self.assertIn("  X (FLAG_NEW_THING) \\\n", text)


class NewHelper(unittest.TestCase):
    """A helper a newer nbdkit adds reaches the unit tests' fake nbdkit
    with no hand edit: its generated stub links with the same signature
    and records its call, while the functions tests/unit/fake-nbdkit.c
    fakes by hand still win over their stubs."""

    MAIN = """\
        #include "fake-nbdkit.h"
        #include <stdio.h>
        #include <string.h>
        int
        main (void)
        {
          double r;
          if (nbdkit_new_helper ("x", &r, 1) != -1 || fake.unfaked_calls != 1
              || strcmp (fake.unfaked, "nbdkit_new_helper") != 0)
            return 1;
          if (nbdkit_parse_bool ("on") != 1 || fake.unfaked_calls != 1)
            return 2;
          puts ("ok");
          return 0;
        }
        """

    def test_new_helper_links(self):
        with tempfile.TemporaryDirectory(prefix="pyplugin-helper-") as tmp:
            include = Transform().add_function(
                "NBDKIT_EXTERN_DECL (int, nbdkit_new_helper,\n"
                "                    (const char *what, double *r, ...));",
                after="nbdkit_parse_bool").apply(tmp)
            with open(make_record(include, tmp)) as f:
                stubs = header_record.fake_stubs(json.load(f))
            write(tmp, "stubs.c", stubs)
            main = write(tmp, "main.c", self.MAIN)
            program = os.path.join(tmp, "program")
            unit = os.path.join(TOP, "tests", "unit")
            subprocess.run(
                [*shlex.split(buildconfig.CC), "-std=gnu11", "-Wall",
                 "-Wextra", "-Werror", "-I", include, "-I", unit,
                 *runtime_flags(os.path.join(tmp, "generated")), "-o",
                 program, main, os.path.join(unit, "fake-nbdkit.c"),
                 os.path.join(tmp, "stubs.c")], check=True)
            run = subprocess.run([program], capture_output=True, text=True)
        self.assertIn("nbdkit_new_helper (const char *what UNUSED, "
                      "double *r UNUSED, ...)", stubs)
        self.assertEqual((run.returncode, run.stdout), (0, "ok\n"))


class TableAgainstHeader(unittest.TestCase):
    """make check fails if any C signature of the callback table is not
    the header's."""

    @classmethod
    def setUpClass(cls):
        cls.record = installed_record()

    def test_every_callback_is_a_field(self):
        for cb in CALLBACKS:
            self.assertIn(cb.name, self.record.callbacks, cb.name)

    def test_signatures_agree(self):
        self.assertEqual(
            nbdkit_header.signature_mismatches(CALLBACKS, self.record), [])

    def mismatch(self, name, **changes):
        cb = dataclasses.replace(BY_NAME[name], **changes)
        return nbdkit_header.signature_mismatches((cb,), self.record)

    def test_wrong_parameter_type_is_caught(self):
        pread = BY_NAME["pread"]
        params = tuple(CParam("int", p.name) if p.name == "count" else p
                       for p in pread.c_params)
        (why,) = self.mismatch("pread", c_params=params)
        self.assertIn("int (*pread) (void *, void *, int, uint64_t, "
                      "uint32_t)", why)
        self.assertIn("uint32_t, uint64_t, uint32_t)", why)
        self.assertIn(buildconfig.NBDKIT_VERSION, why)

    def test_wrong_return_type_is_caught(self):
        (why,) = self.mismatch("get_size", c_return="int")
        self.assertIn("int (*get_size) (void *)", why)
        self.assertIn("int64_t (*get_size) (void *)", why)

    def test_missing_parameter_is_caught(self):
        (why,) = self.mismatch("flush", c_params=BY_NAME["flush"].c_params[:1])
        self.assertIn("flush", why)

    def test_const_matters(self):
        pwrite = BY_NAME["pwrite"]
        params = tuple(CParam("void *", "buf") if p.name == "buf" else p
                       for p in pwrite.c_params)
        self.assertEqual(len(self.mismatch("pwrite", c_params=params)), 1)

    def test_names_do_not_matter(self):
        pread = BY_NAME["pread"]
        params = tuple(CParam(p.type, "x" + p.name) for p in pread.c_params)
        self.assertEqual(self.mismatch("pread", c_params=params), [])

    def test_data_field_is_not_a_callback(self):
        cb = dataclasses.replace(BY_NAME["cleanup"], name="longname")
        (why,) = nbdkit_header.signature_mismatches((cb,), self.record)
        self.assertIn("not a function pointer", why)


class ReducedHeader(unittest.TestCase):
    """The installed headers with fields and functions taken out, and
    another version number: scripts that need what is gone fail to
    build, naming it and the version; others still build."""

    VERSION = "1.20.0"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="pyplugin-reduced-")
        cls.dir = cls.tmp.name
        cls.include = (Transform()
                       .remove_field("block_size")
                       .remove_field("can_fast_zero")
                       .remove_field("magic_config_key")
                       .remove_function("nbdkit_peer_pid")
                       .version(cls.VERSION)
                       .apply(cls.dir))
        cls.record_path = make_record(cls.include, cls.dir)
        cls.record = nbdkit_header.load(cls.record_path)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_the_record_lacks_what_was_removed(self):
        full = installed_record()
        self.assertEqual(self.record.nbdkit_version, self.VERSION)
        self.assertEqual(set(full.fields) - set(self.record.fields),
                         {"block_size", "can_fast_zero",
                          "magic_config_key"})
        self.assertEqual(set(full.functions) - set(self.record.functions),
                         {"nbdkit_peer_pid"})
        for path, _ in self.record.headers.values():
            self.assertTrue(path.startswith(self.include), path)

    def generate_fails(self, source, *names):
        """Generating source fails before writing anything, with one
        error naming each of names (at its definition) and the
        version."""
        script = write(self.dir, "script.py", source)
        out = os.path.join(self.dir, "script-plugin.so")
        proc = run_generator([script, "-o", out], self.record_path)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertFalse(os.path.exists(out))
        lines = source.splitlines()
        for name in names:
            found = [m for m in map(DIAGNOSTIC.match,
                                    proc.stderr.splitlines())
                     if m and f"'{name}'" in m["message"]
                     and m["severity"] == "error"]
            self.assertEqual(len(found), 1, proc.stderr)
            m = found[0]
            self.assertEqual(m["file"], script)
            self.assertIn(f"nbdkit {self.VERSION}", m["message"])
            line = lines[int(m["line"]) - 1]
            col = int(m["col"]) - 1
            self.assertEqual(line[col:col + len(name)], name, m.group(0))
        return proc.stderr

    def test_callback_nbdkit_lacks(self):
        err = self.generate_fails(released(
            "def block_size(h): return (1, 512, 65536)"), "block_size")
        self.assertIn("callback 'block_size' is not supported by nbdkit "
                      f"{self.VERSION}", err)
        self.assertIn("has no block_size field", err)

    def test_every_missing_callback_is_named(self):
        self.generate_fails(released(
            "def block_size(h): return (1, 512, 65536)",
            "can_fast_zero = lambda h: True"), "block_size", "can_fast_zero")

    def test_metadata_nbdkit_lacks(self):
        self.generate_fails(released('magic_config_key = "file"'),
                            "magic_config_key")

    def test_check_fails_too(self):
        script = write(self.dir, "check.py", released(
            "def block_size(h): return (1, 512, 65536)"))
        proc = run_generator(["--check", script], self.record_path)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("block_size", proc.stderr)
        self.assertIn(self.VERSION, proc.stderr)

    def test_the_same_script_builds_with_the_installed_header(self):
        script = write(self.dir, "full.py", released(
            "def block_size(h): return (1, 512, 65536)"))
        proc = run_generator(["--check", script])
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_other_scripts_build_against_it(self):
        # Compiled against the reduced header itself: the generated C
        # uses nothing that was removed.
        script = os.path.join(TOP, "examples", "disk.py")
        out = os.path.join(self.dir, "disk-plugin.so")
        cflags = f"-O2 -I{self.include}"
        proc = run_generator([script, "-o", out], self.record_path,
                             env={"CFLAGS": cflags})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(os.path.exists(out))


class OldNbdkit(unittest.TestCase):
    """A callback every generated plugin registers is missing: every
    script fails, with one message naming it and the version."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="pyplugin-old-")
        cls.dir = cls.tmp.name
        include = (Transform().remove_field("after_fork")
                   .version("1.24.0").apply(cls.dir))
        cls.record_path = make_record(include, cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_script_fails(self):
        a = write(self.dir, "a.py", released())
        b = write(self.dir, "b.py", released("def flush(h, flags): pass"))
        proc = run_generator(["--check", a, b], self.record_path)
        self.assertEqual(proc.returncode, 1)
        errors = [line for line in proc.stderr.splitlines()
                  if "after_fork" in line]
        self.assertEqual(len(errors), 1, proc.stderr)
        self.assertTrue(errors[0].startswith(self.record_path + ": error: "),
                        errors[0])
        self.assertIn("nbdkit 1.24.0", errors[0])


class RecordProblems(unittest.TestCase):
    """A missing, broken or stale record is reported, not a traceback."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pyplugin-record-")
        self.dir = self.tmp.name
        self.script = write(self.dir, "s.py", released())

    def tearDown(self):
        self.tmp.cleanup()

    def test_missing(self):
        path = os.path.join(self.dir, "none.json")
        proc = run_generator(["--check", self.script], path)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(f"{path}: error: cannot read the record of nbdkit's "
                      "header", proc.stderr)
        self.assertIn("run make", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)

    def test_not_json(self):
        path = write(self.dir, "bad.json", "{")
        proc = run_generator(["--check", self.script], path)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("not valid JSON", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)

    def test_incomplete(self):
        path = write(self.dir, "bad.json", '{"nbdkit_version": "1"}')
        proc = run_generator(["--check", self.script], path)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("lacks", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)

    def test_stale_header_warns(self):
        with open(RECORD) as f:
            data = json.load(f)
        data["headers"]["nbdkit-plugin.h"]["sha256"] = "0" * 64
        path = write(self.dir, "stale.json", json.dumps(data))
        proc = run_generator(["--check", self.script], path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"{path}: warning: nbdkit's header changed since "
                      "make read it", proc.stderr)
        proc = run_generator(["--check", "-Werror", self.script], path)
        self.assertEqual(proc.returncode, 1)
