# A test peer: runs a script written in the *seed* dialect of API 2
# (def api_version(): return 2, pread returning a buffer) under today's
# `nbdkit python`, which speaks only API 1 and the released dialect.
#
#   SEED_SCRIPT=examples/disk.py nbdkit python seed_peer.py size=4M
#
# The seed script runs in its own namespace; every callback it defines
# is re-exported from here unchanged (the seed and released dialects
# agree on all of them) except pread, which is adapted: the seed
# returns a buffer, the released dialect fills one.  Callbacks the seed
# script does not define are not defined here either, so nbdkit's
# defaults apply exactly as they would to the seed script.

import builtins
import os

API_VERSION = 2

_path = os.environ["SEED_SCRIPT"]
_ns: dict = {"__name__": "seed_script", "__file__": _path,
       "__builtins__": builtins}
with builtins.open(_path) as _f:
    exec(compile(_f.read(), _path, "exec"), _ns)

if _ns.get("api_version") is None or _ns["api_version"]() != 2:
    raise RuntimeError("%s is not a seed-dialect script" % _path)

_CALLBACKS = """dump_plugin config config_complete thread_model get_ready
after_fork cleanup list_exports default_export preconnect open close
export_description get_size block_size is_rotational can_multi_conn
can_write can_flush can_trim can_zero can_fast_zero can_fua can_cache
can_extents pwrite flush trim zero cache extents""".split()

for _name in _CALLBACKS:
    if callable(_ns.get(_name)):
        globals()[_name] = _ns[_name]

_seed_pread = _ns["pread"]


def pread(h, buf, offset, flags):
    data = memoryview(_seed_pread(h, len(buf), offset, flags)).cast("B")
    if len(data) < len(buf):
        raise RuntimeError("seed pread returned %d bytes, wanted %d"
                           % (len(data), len(buf)))
    buf[:] = data[:len(buf)]
# SPDX-License-Identifier: BSD-3-Clause
