# Test script (released dialect): exercises the built-in nbdkit module
# and reports what it saw through the disk's contents.
#
# Reading the disk returns a JSON document (padded with spaces):
#   "load": results computed when the script was loaded/configured
#           (parse_size, parse_bool, constants, config keys)
#   "conn": results computed in open() for this connection
#           (export_name, is_tls, peer_pid/uid/gid, readonly)
# Writing to it runs commands:
#   b"errno:N"    nbdkit.set_error(N), then raise   -> client sees N
#   b"debug:TEXT" nbdkit.debug(TEXT)                -> in the log with -v
#   b"shutdown"   nbdkit.shutdown()                 -> nbdkit exits
# Functions this nbdkit module lacks are reported as "missing" (nbdkit
# python 1.32 has only debug, export_name, set_error, parse_size and
# shutdown), so the same script runs under the peer.

import json

import nbdkit

# Module functions work while the script is being loaded, too.
nbdkit.debug("nbdkit_module: loading")
SIZE_AT_LOAD = nbdkit.parse_size("3M")

API_VERSION = 2
SIZE = 64 * 1024

load = {"config": [], "parse_size_at_load": SIZE_AT_LOAD}

# Every constant the module has (upper-case names).
CONSTANTS = [n for n in dir(nbdkit) if n.isupper() and n[0] != "_"]


def attempt(fn_name, *args):
    """Call nbdkit.<fn_name>(*args); return its result, "missing", or
    "error:<ExceptionType>"."""
    fn = getattr(nbdkit, fn_name, None)
    if fn is None:
        return "missing"
    try:
        return fn(*args)
    except Exception as e:
        return "error:" + type(e).__name__


def config(key, value):
    load["config"].append([key, value])


def config_complete():
    load["constants"] = {c: getattr(nbdkit, c, "missing") for c in CONSTANTS}
    load["parse_size"] = {s: attempt("parse_size", s) for s in
                          ("0", "512", "1K", "1M", "2G", "1T", "1P",
                           "100b", "garbage", "-1", "")}
    load["parse_bool"] = {s: attempt("parse_bool", s) for s in
                          ("on", "off", "1", "0", "true", "false", "yes",
                           "no", "garbage")}
    nbdkit.debug("nbdkit_module: config_complete done")


def open(readonly):
    conn = {"readonly": readonly,
            "export_name": attempt("export_name")}
    for fn in ("is_tls", "peer_pid", "peer_uid", "peer_gid"):
        conn[fn] = attempt(fn)
    return {"conn": conn}


def get_size(h):
    return SIZE


def pread(h, buf, offset, flags):
    doc = json.dumps({"load": load, "conn": h["conn"]},
                     sort_keys=True).encode()
    if len(doc) > SIZE:
        raise RuntimeError("report too long")
    doc = doc.ljust(SIZE)
    buf[:] = doc[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    cmd = bytes(buf).rstrip(b"\0").decode()
    if cmd.startswith("errno:"):
        nbdkit.set_error(int(cmd[6:]))
        raise RuntimeError("failing with errno %s as asked" % cmd[6:])
    elif cmd.startswith("debug:"):
        nbdkit.debug(cmd[6:])
    elif cmd == "shutdown":
        nbdkit.shutdown()
    else:
        raise ValueError("unknown command %r" % cmd)
# SPDX-License-Identifier: BSD-3-Clause
