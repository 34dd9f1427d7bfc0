# SPDX-License-Identifier: BSD-3-Clause
# Test script (released dialect): pread and pwrite keep their buffer, and
# slices, casts and views of it, past the call.  nbdkit reuses that buffer
# for later requests, so every kept view must raise once its call is over.
# A read at offset 0 reports, for each kept view, "R" (it raised) or "L"
# (it still reaches the buffer), as "name=R;name=L;...".

API_VERSION = 2

kept: dict[str, memoryview] = {}


def open(readonly):
    return 1


def get_size(h):
    return 1024 * 1024


def can_write(h):
    return True


def report():
    out = []
    for name in sorted(kept):
        try:
            bytes(kept[name][:1])
            out.append("%s=L" % name)
        except ValueError:
            out.append("%s=R" % name)
    return ";".join(out).encode()


def pread(h, buf, offset, flags):
    if offset == 0:
        text = report()
        buf[:len(text)] = text
        buf[len(text):] = bytes(len(buf) - len(text))
        return
    buf[:] = b"x" * len(buf)
    # Within the call every view works, and writes reach the client.
    head = buf[0:8]
    head[:4] = b"head"
    buf[4:][:4] = b"tail"
    kept["pread-view"] = buf
    kept["pread-slice"] = head
    kept["pread-cast"] = buf.cast("c")
    kept["pread-memoryview"] = memoryview(buf)


def pwrite(h, buf, offset, flags):
    kept["pwrite-view"] = buf
    kept["pwrite-slice"] = buf[1:]
