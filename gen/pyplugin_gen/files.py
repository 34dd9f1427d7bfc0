# SPDX-License-Identifier: BSD-3-Clause
"""Write a file whole or not at all: to a temporary file beside it, then
renamed into place, so that a failure never leaves half a file."""

from __future__ import annotations

import os
import tempfile


def write_atomic(path: str, data: bytes | str) -> None:
    """Replace path with data (str is written as UTF-8), mode 0644."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".pyplugin-gen-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
