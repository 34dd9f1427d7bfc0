# SPDX-License-Identifier: BSD-3-Clause
"""The helper table (helpers.py) and what is built from it: the runtime's
C header and --import's stand-in module."""

import inspect
import json
import os
import unittest

from pyplugin_gen import header_record, helpers, introspect, nbdkit_header
from pyplugin_gen.buildconfig import DATA_DIR

RECORD = os.path.join(DATA_DIR, nbdkit_header.RECORD_FILE)


class Table(unittest.TestCase):

    def test_stand_in_takes_the_table_parameters(self):
        namespace = {}
        exec(introspect.STAND_IN, namespace)
        for h in helpers.HELPERS:
            with self.subTest(h.name):
                sig = inspect.signature(namespace[h.name])
                self.assertEqual([p.name for p in sig.parameters.values()],
                                 [p.name for p in h.params])

    def test_c_header_lists_the_declared_helpers(self):
        with open(RECORD, encoding="utf-8") as f:
            record = json.load(f)
        text = header_record.c_header(record)
        listed = [line.split("(", 1)[1].split(",", 1)[0]
                  for line in text.splitlines()
                  if line.startswith("  X (") and "METH_" in line]
        self.assertEqual(listed, nbdkit_header.python_helpers(
            nbdkit_header.load(RECORD)))
        # A record without a function has no helper for it.
        record["functions"] = [f for f in record["functions"]
                               if f["name"] != "nbdkit_parse_size"]
        self.assertNotIn("X (parse_size,", header_record.c_header(record))

    def test_signature_spelling(self):
        self.assertEqual(helpers.BY_NAME["parse_delay"].signature,
                         "(what: str, s: str, /) -> tuple[int, int]")
        self.assertEqual(helpers.BY_NAME["export_name"].signature,
                         "() -> str")
