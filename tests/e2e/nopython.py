# SPDX-License-Identifier: BSD-3-Clause
"""Places without Python, for standalone plugins.

hide_python_wrapper() is a command that runs its arguments in a mount
namespace of their own (unshare -m) where every Python is hidden: a
tmpfs over each Python prefix (/usr/lib/python3*, /usr/local/lib/python3*,
the prefix of the python3 on PATH) and an empty file bound over every
libpython3*.so*.  It checks that no python3 runs there any more before
it execs the command, so a test cannot pass on a Python it failed to
hide.  The mounts exist only in that namespace: they vanish with its
last process.

minimal_root() fills a directory with nothing but nbdkit, the plugin and
the shared libraries the dynamic loader will look for, for chroot_wrapper.

Both need root (the tests run as root, as CI does).
"""

import glob
import os
import re
import shutil
import subprocess

from harness import ENV, run

_HIDE = r"""
while [ "$1" != -- ]; do mount -t tmpfs -o size=1m nopython "$1"; shift; done
shift
while [ "$1" != -- ]; do mount --bind /dev/null "$1"; shift; done
shift
for p in /usr/bin/python3 $(command -v python3); do
  if [ -x "$p" ] && "$p" -c '' 2>/dev/null; then
    echo "nopython: $p still runs" >&2
    exit 99
  fi
done
exec "$@"
"""

_CHROOT = r"""
root=$1
shift
mount -t proc proc "$root/proc"
mount --bind /dev/null "$root/dev/null"
here=$(pwd)
mkdir -p "$root$here"
mount --bind "$here" "$root$here"
exec chroot "$root" "$@"
"""


def python_prefixes():
    """Every directory holding a Python's modules."""
    dirs = set(glob.glob("/usr/lib/python3*")
               + glob.glob("/usr/local/lib/python3*"))
    p = subprocess.run(["sh", "-c", "command -v python3 >/dev/null && "
                        "python3 -c 'import sys; print(sys.base_prefix)'"],
                       capture_output=True, text=True, env=dict(
                           os.environ))
    prefix = p.stdout.strip()
    if prefix and prefix not in ("/usr", "/usr/local") and \
            os.path.isdir(prefix):
        dirs.add(prefix)
    return sorted(d for d in dirs if os.path.isdir(d))


def libpython_files():
    found = set()
    for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib", "/usr/local/lib",
              "/lib/x86_64-linux-gnu"):
        for f in glob.glob(os.path.join(d, "libpython3*.so*")):
            found.add(os.path.realpath(f))
    return sorted(found)


def hide_python_wrapper():
    """A command prefix: nbdkit ... runs with Python hidden."""
    return ["unshare", "-m", "--propagation", "private", "sh", "-ec", _HIDE,
            "nopython", *python_prefixes(), "--", *libpython_files(), "--"]


def chroot_wrapper(root):
    """A command prefix: the command (found on PATH inside root) runs
    chrooted in root, in a mount namespace of its own, with /proc
    mounted, /dev/null bound (nbdkit opens it) and the current
    directory bound at the same path (where Server puts its socket)."""
    return ["unshare", "-m", "--propagation", "private", "sh", "-ec",
            _CHROOT, "chroot", root]


def ldd(path):
    """The shared libraries path needs, as the loader finds them here."""
    out = run(["ldd", path]).stdout.decode()
    libs = []
    for line in out.splitlines():
        m = re.match(r"\s*\S+ => (/\S+)", line) or \
            re.match(r"\s*(/\S+) \(", line)
        if m:
            libs.append(m.group(1))
    return libs


def library_path(name):
    """Where the loader finds the library called name (ldconfig -p)."""
    out = run(["ldconfig", "-p"]).stdout.decode()
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m and m.group(1) == name and "x86-64" in m.group(2):
            return m.group(3)
    raise AssertionError("library %s not found by ldconfig" % name)


def _copy_in(root, path):
    dest = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copy2(os.path.realpath(path), dest)


def minimal_root(root, plugin, libraries=()):
    """root gets nbdkit, the libraries ldd names for it and for plugin,
    the named libraries (and theirs), /proc and /dev/null to mount on,
    and the plugin as /plugin.so.  Returns nbdkit's path inside."""
    nbdkit = shutil.which("nbdkit", path=ENV["PATH"])
    assert nbdkit, "nbdkit not found"
    files = {nbdkit}
    files.update(ldd(nbdkit))
    files.update(ldd(plugin))
    for name in libraries:
        lib = library_path(name)
        files.add(lib)
        files.update(ldd(lib))
    for f in sorted(files):
        _copy_in(root, f)
    os.makedirs(os.path.join(root, "proc"))
    os.makedirs(os.path.join(root, "dev"))
    open(os.path.join(root, "dev", "null"), "w").close()
    shutil.copy2(plugin, os.path.join(root, "plugin.so"))
    return nbdkit
