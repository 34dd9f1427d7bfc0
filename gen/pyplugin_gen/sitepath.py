# SPDX-License-Identifier: BSD-3-Clause
"""What `import site` computes on the build machine with the target
Python, for the plugin to record (runtime/site.c uses the record instead
of running site while it still holds).  Computed once per pyplugin-gen
run: it is the same for every script built.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from .build import BuildError, run_target

# Run by the target Python with -E -s -S: what `import site` at
# start-up makes of this machine, without the build's PYTHONPATH (the
# plugin adds the one it runs with) and without a user site directory
# (with one, the plugin runs site at start-up instead).  The import
# lines of .pth files run here as they would at any Python start-up;
# the plugin runs them again at load, from the files.
_SITE = """
import json, os, site, sys
if sys.path and sys.path[0] == "":
    del sys.path[0]
site.ENABLE_USER_SITE = False
known = site.removeduppaths()
known = site.venv(known)
dirs = site.getsitepackages()
pth = []
for d in dirs:
    if not os.path.isdir(d):
        continue
    names = sorted(n for n in os.listdir(d)
                   if n.endswith(".pth") and not n.startswith("."))
    for name in names:
        st = os.stat(os.path.join(d, name))
        pth.append([d, name, st.st_size, st.st_mtime_ns])
site.addsitepackages(known)
json.dump({
    "executable": sys.executable,
    "stdlib_dir": getattr(sys, "_stdlib_dir", None)
                  or os.path.dirname(os.__file__),
    "user_site_suffix": site._get_path("/U")[2:],
    "path": sys.path,
    "dirs": [[d, os.path.isdir(d)] for d in dirs],
    "pth": pth,
}, sys.stdout)
"""


@dataclass(frozen=True)
class SitePth:
    dir: str
    name: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Site:
    """What Python's site module computes at start-up on this machine,
    recorded in the plugin so that it need not run (runtime/site.c)."""

    executable: str
    stdlib_dir: str
    user_site_suffix: str
    path: tuple[str, ...]
    dirs: tuple[tuple[str, bool], ...]
    pth: tuple[SitePth, ...]


class SiteError(Exception):
    """Python could not tell what site computes (a broken installation)."""


def bake_site() -> Site:
    """What `import site` computes with the target Python on this
    machine."""
    try:
        proc = run_target(["-E", "-s", "-S", "-c", _SITE],
                          "recording sys.path", stdin=subprocess.DEVNULL)
    except BuildError as e:
        raise SiteError(str(e)) from e
    d = json.loads(proc.stdout)
    return Site(
        executable=d["executable"],
        stdlib_dir=d["stdlib_dir"],
        user_site_suffix=d["user_site_suffix"],
        path=tuple(d["path"]),
        dirs=tuple((p, bool(e)) for p, e in d["dirs"]),
        pth=tuple(SitePth(*p) for p in d["pth"]),
    )
