# SPDX-License-Identifier: BSD-3-Clause
"""End to end: the SBOM of a plugin (pyplugin-gen --sbom).

Default and standalone builds of examples/disk.py write CycloneDX 1.6
JSON documents that validate against CycloneDX's JSON schema (with
Debian's python3-jsonschema, every $ref resolved from the copies in
tests/sbom-schema, never the network), name what dpkg says about this
machine (the package that provided libpython's archive and its version,
the packages of the shared libraries), and are carried by the plugin:
nbdkit --dump-plugin shows their SHA-256 and the command that takes
them out, and that command gives back the same bytes.
"""

import copy
import json
import os
import shlex
import subprocess
import tempfile
import unittest

import jsonschema

from harness import TempDirMixin, dump_plugin, example, generate, run, \
    sha256_file, script

from pyplugin_gen import buildconfig

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "sbom-schema")


def _no_network(uri):
    raise AssertionError(f"the schema refers to {uri}, not found locally")


def validator():
    """A validator of CycloneDX 1.6 whose references resolve only to
    the local copies of the schemas (by their $id)."""
    store = {}
    for name in ("bom-1.6.schema.json", "spdx.schema.json",
                 "jsf-0.82.schema.json"):
        with open(os.path.join(SCHEMA_DIR, name)) as f:
            schema = json.load(f)
        store[schema["$id"]] = schema
    bom = store["http://cyclonedx.org/schema/bom-1.6.schema.json"]
    resolver = jsonschema.RefResolver(
        bom["$id"], bom, store=store,
        handlers={"http": _no_network, "https": _no_network})
    cls = jsonschema.validators.validator_for(bom)
    cls.check_schema(bom)
    return cls(bom, resolver=resolver,
               format_checker=jsonschema.FormatChecker())


def dpkg(path):
    """(package, version, arch) of the package that ships path (dpkg may
    know it with or without /usr, where /usr is merged)."""
    for name in (path, os.path.realpath(path), "/usr" + path,
                 path.removeprefix("/usr")):
        p = run(["dpkg", "-S", name], check=False)
        if p.returncode == 0:
            break
    out = run(["dpkg", "-S", name]).stdout.decode()
    package = out.split(":")[0].split(",")[0].strip()
    version, arch = run(["dpkg-query", "-W", "-f",
                         "${Version} ${Architecture}", package]) \
        .stdout.decode().split()
    return package, version, arch


def components(doc):
    """Every component, nested ones too, by bom-ref or name."""
    found = {}
    todo = list(doc["components"])
    while todo:
        c = todo.pop()
        found[c.get("bom-ref") or c["name"]] = c
        todo += c.get("components", [])
    return found


class Sbom(TempDirMixin, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.validator = validator()
        cls.docs = {}
        for mode, extra in (("default", ()), ("standalone",
                                              ("--standalone",))):
            out = os.path.join(cls.tmpdir, mode)
            os.mkdir(out)
            plugin = os.path.join(out, "disk-plugin.so")
            sbom = os.path.join(out, "disk.cdx.json")
            try:
                generate(example("disk.py"), plugin, "--sbom", sbom, *extra)
            except AssertionError as e:
                cls.docs[mode] = e
                continue
            cls.docs[mode] = (plugin, sbom)

    def built(self, mode):
        r = self.docs[mode]
        if isinstance(r, BaseException):
            raise r
        plugin, sbom = r
        with open(sbom) as f:
            return plugin, sbom, json.load(f)

    def test_schema_rejects_what_is_not_cyclonedx(self):
        # The validation below can fail.
        _, _, doc = self.built("default")
        bad = copy.deepcopy(doc)
        bad["components"][0]["type"] = "script"
        with self.assertRaises(jsonschema.ValidationError):
            self.validator.validate(bad)
        bad = copy.deepcopy(doc)
        bad["components"][0]["hashes"][0]["content"] = "not a digest"
        with self.assertRaises(jsonschema.ValidationError):
            self.validator.validate(bad)

    def test_documents_are_valid_cyclonedx_1_6(self):
        for mode in ("default", "standalone"):
            with self.subTest(mode=mode):
                _, _, doc = self.built(mode)
                self.validator.validate(doc)
                self.assertEqual(doc["specVersion"], "1.6")

    def test_script_is_named_with_its_digest(self):
        for mode in ("default", "standalone"):
            with self.subTest(mode=mode):
                _, _, doc = self.built(mode)
                c = components(doc)["script"]
                self.assertEqual(c["name"], "disk.py")
                self.assertEqual(c["hashes"],
                                 [{"alg": "SHA-256",
                                   "content": sha256_file(example(
                                       "disk.py"))}])

    def test_standalone_carries_cpython_from_its_package(self):
        _, _, doc = self.built("standalone")
        archive = [w for w in buildconfig.STANDALONE_LIBS.split()
                   if w.endswith(".a")][0]
        package, version, arch = dpkg(archive)
        cpython = components(doc)["cpython"]
        want = subprocess.run([buildconfig.PYTHON, "-c",
                               "import platform; "
                               "print(platform.python_version())"],
                              capture_output=True, text=True).stdout.strip()
        self.assertEqual(cpython["version"], want)
        self.assertEqual(cpython["purl"],
                         f"pkg:deb/debian/{package}@{version}?arch={arch}")
        assembly = doc["compositions"][0]["assemblies"]
        self.assertIn("cpython", assembly)
        # The frozen standard library, grouped by its packages, each
        # module with the digest of its source.
        groups = {c["name"]: c for c in doc["components"]
                  if c["bom-ref"].startswith("modules:")}
        os_owner = dpkg(os.path.join(
            os.path.dirname(archive).rsplit("/config-", 1)[0],
            "encodings", "__init__.py"))[0]
        self.assertIn(os_owner, groups)
        files = {f["name"]: f for f in groups[os_owner]["components"]}
        self.assertIn("encodings", files)
        path = [p["value"] for p in files["encodings"]["properties"]
                if p["name"] == "pyplugin-gen:path"][0]
        self.assertEqual(files["encodings"]["hashes"][0]["content"],
                         sha256_file(path))
        self.assertIn(f"modules:{os_owner}", assembly)
        # No libpython at run time.
        self.assertFalse([c for c in doc["components"]
                          if c["bom-ref"].startswith("so:libpython")])

    def test_default_needs_libpython_as_a_dependency(self):
        plugin, _, doc = self.built("default")
        libpython = [c for c in doc["components"]
                     if c["bom-ref"].startswith("so:libpython")]
        self.assertEqual(len(libpython), 1, doc["components"])
        ref = libpython[0]["bom-ref"]
        self.assertNotIn(ref, doc["compositions"][0]["assemblies"])
        self.assertNotIn("cpython", components(doc))
        [plugin_deps] = [d for d in doc["dependencies"]
                         if d["ref"] == "plugin"]
        self.assertIn(ref, plugin_deps["dependsOn"])
        path = [p["value"] for p in libpython[0]["properties"]
                if p["name"] == "pyplugin-gen:path"][0]
        package, version, arch = dpkg(path)
        self.assertEqual(libpython[0]["purl"],
                         f"pkg:deb/debian/{package}@{version}?arch={arch}")

    def test_every_library_ldd_names_is_a_dependency(self):
        for mode in ("default", "standalone"):
            with self.subTest(mode=mode):
                plugin, _, doc = self.built(mode)
                out = run(["ldd", plugin]).stdout.decode()
                names = {line.split()[0].rsplit("/", 1)[-1]
                         for line in out.splitlines()
                         if "=>" in line or line.strip().startswith("/")}
                [deps] = [d for d in doc["dependencies"]
                          if d["ref"] == "plugin"]
                self.assertEqual(set(deps["dependsOn"]),
                                 {f"so:{n}" for n in names})
                libc = components(doc)["so:libc.so.6"]
                self.assertEqual(libc["version"],
                                 dpkg(libc["properties"][0]["value"])[1])

    def test_plugin_carries_the_document(self):
        for mode in ("default", "standalone"):
            with self.subTest(mode=mode):
                plugin, sbom, _ = self.built(mode)
                info, _ = dump_plugin(plugin)
                self.assertEqual(info["sbom_sha256"], sha256_file(sbom))
                with tempfile.TemporaryDirectory() as d:
                    command = info["sbom_extract"].replace("PLUGIN", plugin)
                    subprocess.run(shlex.split(command), cwd=d, check=True)
                    self.assertEqual(sha256_file(os.path.join(d,
                                                              "sbom.json")),
                                     sha256_file(sbom))

    def test_without_sbom_the_plugin_says_nothing(self):
        out = os.path.join(self.tmpdir, "plain")
        os.mkdir(out)
        plugin = generate(script("site_speedups.py"),
                          os.path.join(out, "p.so"))
        info, _ = dump_plugin(plugin)
        self.assertNotIn("sbom_sha256", info)
