# SPDX-License-Identifier: BSD-3-Clause
"""The importer frozen into standalone plugins (gen/pyplugin_gen/
embedded.py), outside a plugin: its data files, resource tree and
distribution metadata, served from a blob as the plugin serves them.
Each test runs in a child Python, so that the importer put on
sys.meta_path goes with it; the files named do not exist on disk."""

import marshal
import subprocess
import sys
import textwrap
import unittest

from pyplugin_gen import embedded

DATA = {
    "/nowhere/pk/data.txt": b"data!",
    "/nowhere/pk/sub/more.bin": b"\x00\x01",
    "/nowhere/pk-1.0.dist-info/METADATA":
        b"Metadata-Version: 2.1\nName: pk\nVersion: 1.0\n",
}
MODULES = {"pk": ("/nowhere/pk/__init__.py", True),
           "pk.mod": ("/nowhere/pk/mod.py", False)}


def manifest():
    index, blob = {}, b""
    for path, content in DATA.items():
        index[path] = (len(blob), len(content))
        blob += content
    dists = [("pk", "/nowhere/pk-1.0.dist-info")]
    return marshal.dumps((MODULES, index, dists)), blob


def run_child(code):
    m, blob = manifest()
    prelude = textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {embedded.__file__.rsplit('/', 1)[0]!r})
        import embedded
        embedded.install({m!r}, memoryview({blob!r}))
        importer = sys.meta_path[0]
        """)
    return subprocess.run([sys.executable, "-c", prelude
                           + textwrap.dedent(code)],
                          capture_output=True, text=True)


class Embedded(unittest.TestCase):

    def check(self, code):
        p = run_child(code)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_specs_have_files_and_paths(self):
        out = self.check("""
            spec = importer.find_spec("pk")
            print(spec.origin, spec.has_location,
                  spec.submodule_search_locations)
            print(importer.find_spec("pk.mod").origin)
            print(importer.find_spec("elsewhere"))
            """)
        self.assertEqual(out.splitlines(), [
            "/nowhere/pk/__init__.py True ['/nowhere/pk']",
            "/nowhere/pk/mod.py", "None"])

    def test_get_data_and_resources(self):
        out = self.check("""
            print(importer.get_data("/nowhere/pk/data.txt"))
            root = importer.get_resource_reader("pk").files()
            print(sorted(p.name for p in root.iterdir()))
            print(root.joinpath("sub", "more.bin").read_bytes())
            print((root / "sub/../data.txt").read_text())
            print(root.joinpath("sub").is_dir(), root.joinpath("x").is_file())
            with root.joinpath("data.txt").open("rb") as f:
                print(f.read())
            try:
                importer.get_data("/nowhere/pk/missing.txt")
            except OSError as e:
                print(type(e).__name__)
            """)
        self.assertEqual(out.splitlines(), [
            "b'data!'", "['data.txt', 'sub']", "b'\\x00\\x01'", "data!",
            "True False", "b'data!'", "FileNotFoundError"])

    def test_importlib_metadata_finds_the_distribution(self):
        out = self.check("""
            import importlib.metadata as md
            print(md.version("pk"), md.metadata("PK")["Name"])
            print([d.metadata["Name"] for d in
                   importer.find_distributions(None)])
            """)
        self.assertEqual(out.splitlines(), ["1.0 pk", "['pk']"])
