# SPDX-License-Identifier: BSD-3-Clause
"""Frozen modules that behave as files do: runs inside standalone plugins.

Frozen into every standalone plugin as _pyplugin_embedded, and installed
by the runtime (runtime/standalone.c) before the script runs.  Python's
own FrozenImporter gives the modules it did not freeze itself no
__file__, and nothing reads files beside them; this importer, first on
sys.meta_path, serves the same frozen code (from Python's frozen table)
with what a module loaded from a file has:

- __file__ (the path the build found it at) and, for a package, __path__
  (its directory there), __spec__.origin and has_location;
- get_data(path): the package data files the build embedded, which is
  what pkgutil.get_data() reads;
- get_resource_reader(): importlib.resources.files() of a package is a
  tree of its embedded files (as_file() writes one to a temporary file
  when a real file is needed);
- find_distributions(): importlib.metadata finds the metadata of the
  distributions that ship the frozen packages.

Files that are not embedded are read from disk, as a file loader would.
It runs before anything but Python's start-up, so it imports only what
is built in or already loaded.
"""

import _imp
import marshal
import sys
from _frozen_importlib import ModuleSpec


def _parent(path):
    return path.rpartition("/")[0]


class EmbeddedPath:
    """A file or directory of embedded data: importlib.resources'
    Traversable."""

    def __init__(self, importer, path):
        self._importer = importer
        self._path = path

    def __repr__(self):
        return "EmbeddedPath(%r)" % self._path

    def __str__(self):
        return self._path

    @property
    def name(self):
        return self._path.rpartition("/")[2]

    def is_dir(self):
        return self._path in self._importer.dirs

    def is_file(self):
        return self._path in self._importer.data

    def iterdir(self):
        for child in sorted(self._importer.children.get(self._path, ())):
            yield EmbeddedPath(self._importer, self._path + "/" + child)

    def joinpath(self, *descendants):
        path = self._path
        for d in descendants:
            for part in str(d).split("/"):
                if part and part != ".":
                    path = _parent(path) if part == ".." else path + "/" + part
        return EmbeddedPath(self._importer, path)

    __truediv__ = joinpath

    def read_bytes(self):
        return self._importer.get_data(self._path)

    def read_text(self, encoding=None, errors=None):
        return self.read_bytes().decode(encoding or "utf-8",
                                        errors or "strict")

    def open(self, mode="r", *args, **kwargs):
        import io
        data = io.BytesIO(self.read_bytes())
        return data if "b" in mode else io.TextIOWrapper(data, *args,
                                                          **kwargs)


class _Resources:
    """importlib.resources' reader of a frozen package."""

    def __init__(self, importer, directory):
        self._root = EmbeddedPath(importer, directory)

    def files(self):
        return self._root

    # The reader interface of Pythons before files() was enough.
    def open_resource(self, resource):
        return self._root.joinpath(resource).open("rb")

    def resource_path(self, resource):
        raise FileNotFoundError(resource)

    def is_resource(self, name):
        return self._root.joinpath(name).is_file()

    def contents(self):
        return (p.name for p in self._root.iterdir())


_distribution_class = None


def _distribution():
    """importlib.metadata.Distribution over embedded metadata; defined
    on first use, when importlib.metadata has been imported."""
    global _distribution_class
    if _distribution_class is None:
        import pathlib
        from importlib.metadata import Distribution

        class EmbeddedDistribution(Distribution):
            def __init__(self, importer, path):
                self._importer = importer
                self._path = path

            def read_text(self, filename):
                try:
                    data = self._importer.get_data(self._path + "/"
                                                   + filename)
                except OSError:
                    return None
                return data.decode("utf-8")

            def locate_file(self, path):
                return pathlib.PurePosixPath(_parent(self._path), path)

        _distribution_class = EmbeddedDistribution
    return _distribution_class


def _normalize(name):
    import re
    return re.sub(r"[-_.]+", "_", name).lower()


class EmbeddedImporter:
    """Finder and loader of the frozen modules, on sys.meta_path."""

    def __init__(self, modules, data, blob, distributions):
        self.modules = modules  # name: (file or "", is_package)
        self.data = data  # path: (offset, size) in blob
        self.blob = blob
        self.distributions = distributions  # (name, directory)
        self.children = {}  # directory: names in it
        for path in data:
            while path:
                parent, _, name = path.rpartition("/")
                self.children.setdefault(parent, set()).add(name)
                path = parent
        self.dirs = set(self.children)

    def spec(self, name):
        file, is_package = self.modules[name]
        spec = ModuleSpec(name, self, origin=file or None,
                          is_package=is_package)
        spec.has_location = bool(file)
        if is_package and file:
            spec.submodule_search_locations.append(_parent(file))
        return spec

    def find_spec(self, name, path=None, target=None):
        return self.spec(name) if name in self.modules else None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(self.get_code(module.__spec__.name), module.__dict__)

    def get_code(self, name):
        return _imp.get_frozen_object(name)

    def get_source(self, name):
        return None

    def is_package(self, name):
        return self.modules[name][1]

    def get_filename(self, name):
        return self.modules[name][0]

    def get_data(self, path):
        where = self.data.get(path)
        if where is None:
            with open(path, "rb") as f:
                return f.read()
        offset, size = where
        return bytes(self.blob[offset:offset + size])

    def get_resource_reader(self, name):
        file, is_package = self.modules.get(name, ("", False))
        return _Resources(self, _parent(file)) if is_package and file \
            else None

    def find_distributions(self, context=None):
        name = getattr(context, "name", None)
        for dist_name, directory in self.distributions:
            if name is None or _normalize(name) == _normalize(dist_name):
                yield _distribution()(self, directory)

    def fix_up(self, module):
        """A module imported before this importer was installed (the
        codecs of Python's start-up) gets what it would have had."""
        spec = self.spec(module.__name__)
        module.__spec__ = spec
        module.__loader__ = self
        if spec.has_location:
            module.__file__ = spec.origin
        if spec.submodule_search_locations is not None:
            module.__path__ = spec.submodule_search_locations


def install(manifest, blob):
    """manifest: the marshalled (modules, data, distributions); blob:
    the data files' bytes."""
    modules, data, distributions = marshal.loads(manifest)
    importer = EmbeddedImporter(modules, data, blob, distributions)
    sys.meta_path.insert(0, importer)
    for name, module in list(sys.modules.items()):
        if name in modules:
            importer.fix_up(module)
