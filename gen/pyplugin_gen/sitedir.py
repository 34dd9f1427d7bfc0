# SPDX-License-Identifier: BSD-3-Clause
"""Where the Python that runs this finds packages installed under a
prefix: `python -m pyplugin_gen.sitedir PREFIX` prints it.  make install
puts the nbdkit module's type stubs there, run by the target Python (the
one plugins link), so this imports nothing of the generator.
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig


def site_packages(prefix: str) -> str:
    prefix = os.path.normpath(prefix)
    if prefix == os.path.normpath(sys.prefix) and \
            "deb_system" in sysconfig.get_scheme_names():
        # Debian: its own packages go to the deb_system scheme's
        # directory; the default scheme is pip's, under /usr/local.
        return sysconfig.get_path("purelib", "deb_system")
    # One of the directories site adds under that prefix, if any.
    for directory in site.getsitepackages():
        if directory.startswith(prefix + os.sep) and directory in sys.path:
            return directory
    return sysconfig.get_path("purelib", "posix_prefix",
                              vars={"base": prefix, "platbase": prefix})


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m pyplugin_gen.sitedir PREFIX")
    print(site_packages(sys.argv[1]))
