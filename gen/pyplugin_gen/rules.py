# SPDX-License-Identifier: BSD-3-Clause
"""The checks pyplugin-gen reports, each under a stable name.

Every diagnostic names the rule it comes from.  The name is the ruleId
of its SARIF result and the "option" of its JSON object; a warning shows
it as gcc does, `[-Wname]` (`[-Werror=name]` under -Werror), and
`-Wno-name` turns that warning off.  Errors cannot be turned off.
Names are kept once published: tools filter and baseline on them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    level: str  # "error", "warning" or "note": what it reports by default
    summary: str  # a short description, for SARIF's rule metadata


RULES: tuple[Rule, ...] = (
    # The script as a file and as Python.
    Rule("unreadable", "error", "The script cannot be read, or its file "
         "name is not valid UTF-8."),
    Rule("decode", "error", "The script's bytes do not decode in its "
         "declared (PEP 263) or default encoding."),
    Rule("syntax", "error", "Python cannot parse or compile the script."),
    Rule("python-warning", "warning", "Python's own compile-time warning "
         "(an invalid escape sequence, ...)."),
    # What the script declares.
    Rule("api-declaration", "error", "The API version is not declared as "
         "an integer literal 1 or 2, once, at top level."),
    Rule("metadata", "error", "A metadata string (longname, description, "
         "version, config_help, magic_config_key) is not a top-level "
         "string literal nbdkit can take."),
    Rule("redefined", "warning", "A callback or declaration is bound twice "
         "at top level; the last binding is used."),
    # Callbacks against the callback table.
    Rule("required-callback", "error", "A callback nbdkit requires (open, "
         "get_size, pread) is not defined."),
    Rule("not-callable", "error", "A callback name is bound to a value "
         "that cannot be called."),
    Rule("async-callback", "error", "A callback is an async def, whose "
         "body nbdkit's call would never run."),
    Rule("generator-callback", "error", "A callback is a generator "
         "function, whose body nbdkit's call would never run."),
    Rule("parameters", "error", "nbdkit's call of a callback, in the "
         "script's dialect, would not bind to its parameters."),
    Rule("lambda-callback", "warning", "A callback is a lambda: tracebacks "
         "call it <lambda>."),
    Rule("dialect-mixup", "warning", "A callback is written as another "
         "dialect of the API has it (a parameter's name, a pread that "
         "returns data or fills buf)."),
    Rule("offered-missing", "warning", "A can_X callback can be seen to "
         "offer an operation the script does not define."),
    Rule("near-miss", "warning", "A function or name is one edit away "
         "from a callback or the API declaration."),
    Rule("unchecked", "note", "What cannot be checked without running the "
         "script (shown with -v or -Wunchecked)."),
    # --import.
    Rule("import-failed", "error", "Importing the script (--import) "
         "failed: an exception, a crash or the time limit."),
    # One interpreter per connection.
    Rule("per-connection-state", "warning", "A connection's callback "
         "changes module-level state, which with one interpreter per "
         "connection is each connection's own."),
    # The installed nbdkit.
    Rule("nbdkit-support", "error", "The installed nbdkit lacks what the "
         "script or every plugin needs, or its header record is unusable."),
    Rule("nbdkit-helper", "warning", "The script uses a helper of the "
         "nbdkit module that the installed nbdkit lacks (an error where "
         "the use runs while the script loads)."),
    Rule("stale-record", "warning", "nbdkit's header changed since make "
         "recorded it."),
    # --standalone.
    Rule("module-not-found", "warning", "A module the script imports "
         "cannot be found for a standalone plugin (an error when the "
         "script imports it at top level)."),
    Rule("standalone-module", "error", "A module the script needs cannot "
         "be frozen into a standalone plugin."),
    Rule("frozen-file", "warning", "A frozen module hands a path made "
         "from its __file__ to a call that needs a real file, which a "
         "standalone plugin does not have."),
)

BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
WARNINGS: frozenset[str] = frozenset(r.name for r in RULES
                                     if r.level == "warning")

assert len(BY_NAME) == len(RULES), "duplicate rule name"
