# SPDX-License-Identifier: BSD-3-Clause
"""Diagnostics for programs: JSON and SARIF 2.1.0, with gcc's names
(-fdiagnostics-format=json|json-stderr|json-file|sarif-stderr|sarif-file).

Both carry what the text format shows, as data: each diagnostic's rule
(rules.py), severity, message, location and notes.  Lines and columns
are counted as in the text (from 1; columns in characters, which SARIF
calls unicodeCodePoints).

JSON has gcc's shape: an array with one object per diagnostic, its notes
as "children", each location a "caret" and a "finish" (the last column
underlined).  SARIF is one run of the tool pyplugin-gen, with every rule
and its short description, one result per diagnostic (its notes as
relatedLocations) and file locations relative to the working directory
(uriBaseId PWD).
"""

from __future__ import annotations

import json
import os
import urllib.parse
from typing import Iterable

from .diagnostics import Diagnostic, Severity
from .rules import RULES

FORMATS = ("text", "json", "json-stderr", "json-file", "sarif-stderr",
           "sarif-file")
# The file json-file and sarif-file write for SCRIPT, in the working
# directory, named after the script as gcc names its after the source.
SUFFIX = {"json-file": ".json", "sarif-file": ".sarif"}
SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/"
                "os/schemas/sarif-schema-2.1.0.json")


def output_file(script: str, fmt: str) -> str:
    """disk.py.sarif for scripts/disk.py under sarif-file."""
    return os.path.basename(script) + SUFFIX[fmt]


# JSON ---------------------------------------------------------------

def _point(d: Diagnostic, column: int) -> dict:
    point: dict = {"file": d.file}
    if d.line:
        point["line"] = d.line
        if column:
            point["column"] = column
    return point


def _json_one(d: Diagnostic) -> dict:
    location = {"caret": _point(d, d.col)}
    if d.line and d.col:
        location["finish"] = _point(d, d.col + d.length - 1)
    obj: dict = {"kind": d.severity.value, "message": d.message}
    if d.rule:
        obj["rule"] = d.rule
    if d.option:
        obj["option"] = d.option
    obj["locations"] = [location]
    obj["children"] = [_json_one(n) for n in d.notes]
    return obj


def to_json(diags: Iterable[Diagnostic]) -> str:
    out = []
    for d in diags:
        obj = _json_one(d)
        obj["column-origin"] = 1
        out.append(obj)
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


# SARIF --------------------------------------------------------------

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning",
          Severity.NOTE: "note"}
_RULE_INDEX = {r.name: i for i, r in enumerate(RULES)}


def _physical(d: Diagnostic) -> dict:
    uri = urllib.parse.quote(os.path.relpath(d.file))
    where: dict = {"artifactLocation": {"uri": uri, "uriBaseId": "PWD"}}
    if d.line:
        region: dict = {"startLine": d.line}
        if d.col:
            region["startColumn"] = d.col
            region["endColumn"] = d.col + d.length
        where["region"] = region
    return where


def to_sarif(diags: Iterable[Diagnostic], version: str) -> str:
    results = []
    for d in diags:
        result: dict = {
            "ruleId": d.rule,
            "ruleIndex": _RULE_INDEX[d.rule],
            "level": _LEVEL[d.severity],
            "message": {"text": d.message},
            "locations": [{"physicalLocation": _physical(d)}],
        }
        if d.notes:
            result["relatedLocations"] = [
                {"id": i, "physicalLocation": _physical(n),
                 "message": {"text": n.message}}
                for i, n in enumerate(d.notes)]
        results.append(result)
    rules = [{"id": r.name, "shortDescription": {"text": r.summary},
              "defaultConfiguration": {"level": r.level}}
             for r in RULES]
    cwd = urllib.parse.quote(os.getcwd().rstrip("/") + "/")
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "pyplugin-gen", "version": version,
                                "rules": rules}},
            "originalUriBaseIds": {"PWD": {"uri": f"file://{cwd}"}},
            "columnKind": "unicodeCodePoints",
            # The checks ran; what they found is in results.
            "invocations": [{"executionSuccessful": True}],
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
