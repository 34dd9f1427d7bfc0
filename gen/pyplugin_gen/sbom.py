# SPDX-License-Identifier: BSD-3-Clause
"""The software bill of materials of a plugin (--sbom): CycloneDX 1.6 JSON.

What the plugin is made of and what it needs, for vulnerability scanners
and licence review:

- the script (its name and SHA-256);
- for a standalone plugin, what is inside it: CPython (its version, and
  the Debian package that provided libpython's archive), the frozen
  modules grouped by the package that ships them (the standard
  library's packages, python3-numpy, ..., or the script's own project:
  the directory on the module path they were found in), each with the
  SHA-256 of its source, the embedded data files, and each embedded C
  extension;
- every shared library it needs at run time (ldd of the plugin, and of
  each embedded extension), with the package and version that ship it;
  for a default plugin libpython is one of them.

Everything inside the plugin is listed in `compositions` as its
assembly; what it needs, in `dependencies`.  Packages are found with
dpkg (dpkg -S, dpkg-query) and named as package URLs
(pkg:deb/debian/NAME@VERSION?arch=ARCH); without dpkg, or for files no
package ships, components have no purl.  The document has no time stamp
or random serial number, so that builds stay reproducible.

The plugin carries the document in its section .pyplugin_sbom (added
after linking, not loaded at run time) and the document's SHA-256 in
.pyplugin_sbom_sha256 (which nbdkit --dump-plugin shows).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import urllib.parse
import uuid

from . import buildconfig
from .build import BuildError, run_target
from .script import Script

SECTION = ".pyplugin_sbom"
SHA_SECTION = ".pyplugin_sbom_sha256"
SPEC_VERSION = "1.6"
# The command --dump-plugin and the README give to take the document out.
EXTRACT = f"objcopy --dump-section {SECTION}=sbom.json PLUGIN /dev/null"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: str) -> str:
    with open(path, "rb") as f:
        return _sha256(f.read())


def _variants(path: str) -> list[str]:
    """The names dpkg may know a file by: as given and resolved, with and
    without /usr (merged /usr makes both work)."""
    names = []
    for p in (path, os.path.realpath(path)):
        names.append(p)
        names.append(p[4:] if p.startswith("/usr/") else "/usr" + p)
    return list(dict.fromkeys(names))


class Packages:
    """Which Debian package ships a file, and its version (dpkg)."""

    def __init__(self) -> None:
        self.owner: dict[str, str | None] = {}
        self.versions: dict[str, tuple[str, str]] = {}
        self.distro = _os_id()

    def learn(self, paths: list[str]) -> None:
        """Look the owners of paths up at once (dpkg -S reads its whole
        database each time it runs)."""
        wanted = {v: p for p in paths if p not in self.owner
                  for v in _variants(p)}
        for p in paths:
            self.owner.setdefault(p, None)
        if not wanted:
            return
        try:
            proc = subprocess.run(["dpkg", "-S", *wanted],
                                  capture_output=True, text=True)
        except OSError:
            return  # not Debian: no package names
        for line in proc.stdout.splitlines():
            packages, sep, name = line.partition(": ")
            if not sep or name not in wanted or "diversion" in packages:
                continue
            package = packages.split(",")[0].strip().split(":")[0]
            if self.owner.get(wanted[name]) is None:
                self.owner[wanted[name]] = package
        names = sorted({o for o in self.owner.values()
                        if o and o not in self.versions})
        if names:
            proc = subprocess.run(
                ["dpkg-query", "-W", "-f",
                 "${Package} ${Version} ${Architecture}\\n", *names],
                capture_output=True, text=True)
            for line in proc.stdout.splitlines():
                name, version, arch = line.split()
                self.versions[name] = (version, arch)

    def of(self, path: str) -> str | None:
        self.learn([path])
        return self.owner[path]

    def purl(self, package: str) -> str | None:
        if package not in self.versions:
            return None
        version, arch = self.versions[package]
        return (f"pkg:deb/{self.distro}/{package}@"
                f"{urllib.parse.quote(version, safe='+~.-_')}?arch={arch}")

    def component(self, package: str, ref: str, **extra) -> dict:
        """A component for a Debian package."""
        c = {"type": "library", "bom-ref": ref, "name": package}
        if package in self.versions:
            c["version"] = self.versions[package][0]
            c["purl"] = self.purl(package)
        c.update(extra)
        return c


def _os_id() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                if key == "ID":
                    return value.strip('"') or "debian"
    except OSError:
        pass
    return "debian"


def libraries(path: str) -> dict[str, str]:
    """The shared libraries the dynamic loader loads for path (ldd):
    their names and where they are here."""
    proc = subprocess.run(["ldd", path], capture_output=True, text=True)
    found = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line) or \
            re.match(r"\s*((/\S+)) \(", line)
        if m:
            found[os.path.basename(m.group(1))] = m.group(2)
    return found


def _property(name: str, value: str) -> dict:
    return {"name": f"pyplugin-gen:{name}", "value": value}


def _python_version() -> str:
    return run_target(["-S", "-c", "import sys; print(sys.version.split()[0])"],
                      "asking the target Python its version").stdout \
        .decode().strip()


def _archive() -> str | None:
    """libpython's archive that standalone plugins link."""
    for word in buildconfig.STANDALONE_LIBS.split():
        if word.endswith(".a"):
            return word
    return None


def _group_name(path: str, module_path: list[str]) -> str:
    """A file no package ships: the project of the directory of the
    module path it was found in."""
    roots = [d for d in module_path if path.startswith(d.rstrip("/") + "/")]
    root = max(roots, key=len) if roots else os.path.dirname(path)
    return os.path.basename(root.rstrip("/")) or root


def document(script: Script, name: str, plugin: str, parts=None,
             found=None, module_path: list[str] | None = None) -> dict:
    """The CycloneDX document of the linked plugin at plugin; parts and
    found (standalone.prepare's) for a standalone plugin."""
    pkgs = Packages()
    components: list[dict] = []
    inside: list[str] = ["script"]
    dependencies: list[dict] = []
    components.append({
        "type": "file", "bom-ref": "script",
        "name": os.path.basename(script.path),
        "hashes": [{"alg": "SHA-256", "content": _sha256(script.source)}],
        "properties": [_property("role", "the plugin's script, as "
                                 "bytecode")]})
    needed = libraries(plugin)
    extension_libs: dict[str, dict[str, str]] = {}
    if parts is not None:
        modules = [m for m in found.modules if m.path]
        for m in modules:
            if m.extension:
                extension_libs[m.name] = libraries(m.path)
        archive = _archive()
        pkgs.learn([m.path for m in modules] + found.data
                   + ([archive] if archive else [])
                   + sorted({p for libs in [needed, *extension_libs.values()]
                             for p in libs.values()}))
        cpython = {"type": "framework", "bom-ref": "cpython",
                   "name": "CPython", "version": _python_version(),
                   "properties": [_property("role", "linked in from "
                                            "libpython's archive")]}
        owner = pkgs.of(archive) if archive else None
        if owner and pkgs.purl(owner):
            cpython["purl"] = pkgs.purl(owner)
            cpython["properties"].append(_property("package", owner))
        if archive:
            cpython["properties"].append(_property("archive", archive))
        components.append(cpython)
        inside.append("cpython")
        groups: dict[str, list[dict]] = {}
        group_owner: dict[str, str | None] = {}
        files = [(m.path, m.name, "module") for m in modules
                 if not m.extension] + [(p, os.path.basename(p), "data")
                                        for p in found.data]
        for path, what, kind in files:
            owner = pkgs.of(path)
            key = owner or _group_name(path, module_path or [])
            group_owner[key] = owner
            groups.setdefault(key, []).append({
                "type": "file", "name": what,
                "hashes": [{"alg": "SHA-256",
                            "content": _file_sha256(path)}],
                "properties": [_property("kind", kind),
                               _property("path", path)]})
        for key in sorted(groups):
            ref = f"modules:{key}"
            props = [_property("role", "frozen Python modules and "
                               "embedded data files")]
            if group_owner[key]:
                c = pkgs.component(key, ref, properties=props,
                                   components=groups[key])
            else:
                c = {"type": "library", "bom-ref": ref, "name": key,
                     "properties": props + [_property(
                         "role-detail", "the script's own project (no "
                         "package ships it)")],
                     "components": groups[key]}
            components.append(c)
            inside.append(ref)
        for m in modules:
            if not m.extension:
                continue
            ref = f"extension:{m.name}"
            c = {"type": "library", "bom-ref": ref, "name": m.name,
                 "hashes": [{"alg": "SHA-256",
                             "content": _file_sha256(m.path)}],
                 "properties": [_property("role", "embedded C extension"),
                                _property("path", m.path)]}
            owner = pkgs.of(m.path)
            if owner:
                c["properties"].append(_property("package", owner))
                if pkgs.purl(owner):
                    c["version"] = pkgs.versions[owner][0]
                    c["purl"] = pkgs.purl(owner)
            components.append(c)
            inside.append(ref)
            dependencies.append({"ref": ref, "dependsOn": sorted(
                f"so:{lib}" for lib in extension_libs[m.name])})
    else:
        pkgs.learn(sorted(needed.values()))
    shared = dict(needed)
    for libs in extension_libs.values():
        shared.update(libs)
    for lib in sorted(shared):
        owner = pkgs.of(shared[lib])
        props = [_property("path", shared[lib])]
        if lib.startswith("libpython"):
            props.append(_property("role", "CPython, the plugin's "
                                   "interpreter"))
        c = (pkgs.component(owner, f"so:{lib}") if owner
             else {"type": "library", "bom-ref": f"so:{lib}"})
        c["name"] = lib
        if owner:
            props.append(_property("package", owner))
        c["properties"] = props
        components.append(c)
    dependencies.insert(0, {"ref": "plugin", "dependsOn": sorted(
        f"so:{lib}" for lib in needed)})
    for lib in sorted(shared):
        dependencies.append({"ref": f"so:{lib}", "dependsOn": []})
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": {
            "tools": {"components": [{
                "type": "application", "name": "pyplugin-gen",
                "version": buildconfig.VERSION}]},
            "component": {
                "type": "library", "bom-ref": "plugin",
                "name": f"{name}-plugin",
                "description": f"nbdkit plugin {name}, compiled from "
                               f"{os.path.basename(script.path)}",
                "properties": [_property(
                    "mode", "standalone" if parts is not None
                    else "default")]}},
        "components": components,
        "dependencies": dependencies,
        "compositions": [{"aggregate": "complete", "assemblies": inside}],
    }
    # A serial number that names this content, not this run.
    text = json.dumps(doc, sort_keys=True).encode()
    doc["serialNumber"] = uuid.uuid5(uuid.NAMESPACE_URL,
                                     "sha256:" + _sha256(text)).urn
    return doc


def dumps(doc: dict) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def embed(plugin: str, data: bytes) -> None:
    """Put the document into the linked plugin, in place."""
    with tempfile.TemporaryDirectory(prefix="pyplugin-gen-sbom-") as d:
        doc_file = os.path.join(d, "sbom.json")
        sha_file = os.path.join(d, "sha256")
        with open(doc_file, "wb") as f:
            f.write(data)
        with open(sha_file, "w") as f:
            f.write(_sha256(data))
        try:
            proc = subprocess.run(
                ["objcopy", f"--add-section={SECTION}={doc_file}",
                 f"--update-section={SHA_SECTION}={sha_file}", plugin],
                capture_output=True, text=True)
        except OSError as e:
            raise BuildError(f"cannot run objcopy: {e.strerror} "
                             "(install binutils)") from e
        if proc.returncode != 0:
            raise BuildError("objcopy could not put the SBOM into the "
                             f"plugin:\n{proc.stderr}")
