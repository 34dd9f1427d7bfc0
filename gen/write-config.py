"""Write buildconfig.py from NAME=VALUE arguments: python write-config.py
OUT NAME=VALUE...  Values become Python string literals, so no quoting
in them can break the file."""

import os
import sys


def main() -> None:
    out, pairs = sys.argv[1], sys.argv[2:]
    lines = ['"""Written by make: where pyplugin-gen finds its parts."""', ""]
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isidentifier():
            sys.exit(f"write-config.py: bad argument {pair!r}")
        lines.append(f"{name} = {value!r}")
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, out)


main()
