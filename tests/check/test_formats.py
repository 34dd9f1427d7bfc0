# SPDX-License-Identifier: BSD-3-Clause
"""Diagnostics for programs: -fdiagnostics-format=json|sarif-*.

Every SARIF log is validated against the OASIS SARIF 2.1.0 schema
(sarif/sarif-schema-2.1.0.json) with python3-jsonschema, and every rule
of rules.py must be seen in one of them: the corpus gives most, the cases
below the ones that need another record of nbdkit's header or a
standalone build.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from unittest import mock

import jsonschema

from common import (CORPUS, HERE, generator_command, generator_env,
                    run_check)
from test_corpus import directives, scripts

from pyplugin_gen import buildconfig, machine, nbdkit_header, standalone
from pyplugin_gen.check import per_connection_state
from pyplugin_gen.diagnostics import Diagnostics
from pyplugin_gen.rules import RULES, WARNINGS
from pyplugin_gen.script import read
from pyplugin_gen.sitepath import bake_site

with open(os.path.join(HERE, "sarif", "sarif-schema-2.1.0.json")) as _f:
    SCHEMA = json.load(_f)
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)

GOOD = """\
API_VERSION = 2
def open(readonly): return 1
def get_size(h): return 0
def pread(h, buf, offset, flags): pass
"""


def validate(log: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(log), key=str)
    if errors:
        raise AssertionError(f"SARIF log not valid: {errors[0].message} "
                             f"at {list(errors[0].absolute_path)}")


def sarif(args: list[str]) -> tuple[int, dict]:
    status, out, err = run_check(["-fdiagnostics-format=sarif-stderr",
                                  *args])
    assert out == "", out
    return status, json.loads(err)


def results(log: dict) -> list[dict]:
    return log["runs"][0]["results"]


class Schema(unittest.TestCase):

    def test_schema_is_the_published_one(self):
        jsonschema.Draft4Validator.check_schema(SCHEMA)
        self.assertEqual(SCHEMA["id"], machine.SARIF_SCHEMA)

    def test_validation_can_fail(self):
        _, log = sarif(["--check", os.path.join(CORPUS, "duplicate_def.py")])
        validate(log)
        for spoil in (lambda r: r.update(level="fatal"),
                      lambda r: r["locations"][0]["physicalLocation"]
                      ["region"].update(startLine=0),
                      lambda r: r.pop("message")):
            broken = json.loads(json.dumps(log))
            spoil(results(broken)[0])
            with self.assertRaises(AssertionError):
                validate(broken)


class EveryRule(unittest.TestCase):
    """Every diagnostic the checks can emit has a rule, and its SARIF
    form is valid."""

    seen: set[str] = set()

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pyplugin-formats-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def record(self, log: dict) -> None:
        validate(log)
        for r in results(log):
            self.assertTrue(r["ruleId"])
            type(self).seen.add(r["ruleId"])

    def write(self, name: str, text: str) -> str:
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_1_corpus(self):
        for path in scripts(CORPUS):
            _, args = directives(path)
            with self.subTest(path=os.path.basename(path)):
                # With -Wunchecked: notes have a rule too.
                _, log = sarif(["--check", "-Wunchecked", *args, path])
                self.record(log)

    def test_1_unreadable(self):
        _, log = sarif(["--check", os.path.join(self.dir, "none.py")])
        self.record(log)
        location = results(log)[0]["locations"][0]["physicalLocation"]
        self.assertNotIn("region", location)

    def test_1_record(self):
        script = self.write("s.py", GOOD + "def block_size(h): pass\n")
        with mock.patch.dict(os.environ, {nbdkit_header.RECORD_ENV:
                                          os.path.join(self.dir, "x.json")}):
            _, log = sarif(["--check", script])
        self.record(log)
        self.assertEqual(results(log)[0]["ruleId"], "nbdkit-support")
        with open(nbdkit_header.record_path()) as f:
            data = json.load(f)
        for h in data["headers"].values():
            h["sha256"] = "0" * 64
        stale = self.write("stale.json", json.dumps(data))
        with mock.patch.dict(os.environ, {nbdkit_header.RECORD_ENV: stale}):
            status, log = sarif(["--check", script])
        self.assertEqual(status, 0)
        self.record(log)
        self.assertEqual([r["ruleId"] for r in results(log)],
                         ["stale-record"])

    def test_1_helper(self):
        # A helper the record lacks: an error at load, else a warning.
        with open(nbdkit_header.record_path()) as f:
            data = json.load(f)
        data["functions"] = [fn for fn in data["functions"]
                             if fn["name"] != "nbdkit_parse_size"]
        record = self.write("noparse.json", json.dumps(data))
        script = self.write("helper.py", "import nbdkit\n" + GOOD
                            + "S = nbdkit.parse_size('1')\n"
                            "def flush(h, flags): nbdkit.parse_size('1')\n")
        with mock.patch.dict(os.environ, {nbdkit_header.RECORD_ENV: record}):
            _, log = sarif(["--check", script])
        self.record(log)
        self.assertEqual([(r["ruleId"], r["level"]) for r in results(log)],
                         [("nbdkit-helper", "error"),
                          ("nbdkit-helper", "warning")])

    def test_1_standalone(self):
        site = bake_site()
        site = dataclasses.replace(site, path=(self.dir, *site.path))
        self.write("usesfile.py", "import os\n"
                   "NAMES = os.listdir(os.path.dirname(__file__))\n")
        script = self.write("plugin.py", GOOD + "import usesfile\n"
                            "import no_such_module_here\n")
        diags = Diagnostics()
        s = read(script, diags)
        standalone.prepare(s, site, diags,
                           ("no_such_module_either",))
        log = json.loads(machine.to_sarif(diags.ordered(), "0"))
        self.record(log)
        self.assertEqual({r["ruleId"] for r in results(log)},
                         {"frozen-file", "module-not-found",
                          "standalone-module"})

    def test_1_per_connection(self):
        script = self.write("pc.py", GOOD + "count = 0\n"
                            "def flush(h, flags):\n"
                            "    global count\n"
                            "    count += 1\n")
        diags = Diagnostics()
        per_connection_state(read(script, diags), diags)
        log = json.loads(machine.to_sarif(diags.ordered(), "0"))
        self.record(log)
        self.assertEqual([r["ruleId"] for r in results(log)],
                         ["per-connection-state"])

    def test_2_every_rule_seen(self):
        self.assertEqual(sorted(self.seen),
                         sorted(r.name for r in RULES))


class Facts(unittest.TestCase):
    """SARIF and JSON carry what the text shows."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pyplugin-formats-")
        self.addCleanup(shutil.rmtree, self.dir)

    def test_sarif_result(self):
        path = os.path.join(CORPUS, "duplicate_def.py")
        _, _, text = run_check(["--check", path])
        status, log = sarif(["--check", path])
        self.assertEqual(status, 0)
        run = log["runs"][0]
        driver = run["tool"]["driver"]
        self.assertEqual((driver["name"], driver["version"]),
                         ("pyplugin-gen", buildconfig.VERSION))
        self.assertEqual([r["id"] for r in driver["rules"]],
                         [r.name for r in RULES])
        self.assertTrue(all(r["shortDescription"]["text"]
                            for r in driver["rules"]))
        self.assertEqual(run["originalUriBaseIds"]["PWD"]["uri"],
                         "file://" + os.getcwd().rstrip("/") + "/")
        # The text: PATH:25:1: warning: MESSAGE [-Wredefined], then the
        # note PATH:19:5: note: previous definition ...
        first, note = text.splitlines()
        (result,) = results(log)
        self.assertEqual(result["level"], "warning")
        self.assertEqual(result["ruleId"], "redefined")
        self.assertEqual(
            driver["rules"][result["ruleIndex"]]["id"], "redefined")
        where = result["locations"][0]["physicalLocation"]
        self.assertEqual(where["artifactLocation"],
                         {"uri": os.path.relpath(path), "uriBaseId": "PWD"})
        region = where["region"]
        self.assertTrue(first.startswith(
            f"{path}:{region['startLine']}:{region['startColumn']}: "
            f"warning: {result['message']['text']} [-Wredefined]"), first)
        (related,) = result["relatedLocations"]
        region = related["physicalLocation"]["region"]
        self.assertEqual(
            note, f"{path}:{region['startLine']}:{region['startColumn']}: "
            f"note: {related['message']['text']}")

    def test_werror_level(self):
        path = os.path.join(CORPUS, "werror_near_miss.py")
        status, log = sarif(["--check", "-Werror", path])
        self.assertEqual(status, 1)
        self.assertEqual([(r["level"], r["ruleId"]) for r in results(log)],
                         [("error", "near-miss")])

    def test_json(self):
        path = os.path.join(CORPUS, "duplicate_def.py")
        _, _, text = run_check(["--check", path])
        status, out, err = run_check(["--check", "-fdiagnostics-format=json",
                                      path])
        self.assertEqual((status, out), (0, ""))
        (d,) = json.loads(err)
        self.assertEqual((d["kind"], d["rule"], d["option"]),
                         ("warning", "redefined", "-Wredefined"))
        caret = d["locations"][0]["caret"]
        self.assertTrue(text.startswith(
            f"{caret['file']}:{caret['line']}:{caret['column']}: warning: "
            f"{d['message']} [-Wredefined]\n"))
        self.assertEqual(d["locations"][0]["finish"]["column"],
                         caret["column"] + len("flush") - 1)
        (child,) = d["children"]
        self.assertEqual(child["kind"], "note")
        # json-stderr is the same.
        _, _, again = run_check(["--check",
                                 "-fdiagnostics-format=json-stderr", path])
        self.assertEqual(again, err)

    def test_files(self):
        bad = os.path.join(CORPUS, "syntax_missing_colon.py")
        good = os.path.join(self.dir, "good.py")
        with open(good, "w") as f:
            f.write(GOOD)
        for fmt, suffix in (("sarif-file", ".sarif"), ("json-file", ".json")):
            with self.subTest(fmt=fmt):
                proc = subprocess.run(
                    [*generator_command(), "--check",
                     f"-fdiagnostics-format={fmt}", bad, good],
                    cwd=self.dir, env=generator_env(), capture_output=True,
                    text=True)
                self.assertEqual((proc.returncode, proc.stdout, proc.stderr),
                                 (1, "", ""))
                with open(os.path.join(self.dir,
                                       "syntax_missing_colon.py" + suffix)) \
                        as f:
                    log = json.load(f)
                with open(os.path.join(self.dir, "good.py" + suffix)) as f:
                    clean = json.load(f)
                if fmt == "sarif-file":
                    validate(log)
                    validate(clean)
                    self.assertEqual(results(log)[0]["ruleId"], "syntax")
                    self.assertEqual(results(clean), [])
                else:
                    self.assertEqual(log[0]["rule"], "syntax")
                    self.assertEqual(clean, [])

    def test_formats_and_warnings_are_named_in_help(self):
        status, out, _ = run_check(["--help"])
        self.assertEqual(status, 0)
        out = re.sub(r"-\n\s+", "-", out)  # argparse wraps at hyphens
        for fmt in (*machine.FORMATS, *WARNINGS):
            self.assertIn(fmt, out)


if __name__ == "__main__":
    unittest.main()
