# args: --import
# Callbacks made at run time by a factory: only --import can see them,
# and inspect.signature finds that they fit.
import nbdkit

API_VERSION = 2
SIZE = nbdkit.parse_size("1M")


def _make(params):
    def callback(*args):
        if len(args) != len(params):
            raise TypeError("expected %d arguments" % len(params))
        return 1 if params == ("readonly",) else SIZE if params == ("h",) \
            else None
    return callback


for _name, _params in [("open", ("readonly",)), ("get_size", ("h",)),
                       ("pread", ("h", "buf", "offset", "flags"))]:
    globals()[_name] = _make(_params)
# SPDX-License-Identifier: BSD-3-Clause
