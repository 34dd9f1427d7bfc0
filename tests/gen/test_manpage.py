# SPDX-License-Identifier: BSD-3-Clause
"""The manual's CALLBACKS section (gen/pyplugin_gen/manpage.py): rendered
from the callback table, current in the built page, every callback with
its parameters in each dialect and its default."""

import dataclasses
import os
import re
import subprocess
import unittest
from unittest import mock

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

from pyplugin_gen import callbacks, manpage  # noqa: E402
from pyplugin_gen.callbacks import BY_NAME, CALLBACKS, Dialect  # noqa: E402

PAGE_IN = os.path.join(TOP, "doc", "pyplugin-gen.1.in")
TEMPLATE = os.path.join(TOP, "doc", "callbacks.man.j2")
PAGE = os.path.join(TOP, "doc", "pyplugin-gen.1")


def page_in():
    with open(PAGE_IN, encoding="utf-8") as f:
        return f.read()


def section(text):
    """The CALLBACKS section of a page: name -> its lines."""
    body = text.split(".SH CALLBACKS\n", 1)[1].split("\n.SH ", 1)[0]
    out = {}
    for item in body.split(".TP\n")[1:]:
        lines = item.splitlines()
        out[lines[0].removeprefix(".B ")] = lines[1:]
    return out


class Manpage(unittest.TestCase):

    def test_built_page_is_current(self):
        with open(PAGE, encoding="utf-8") as f:
            built = f.read()
        self.assertEqual(built, manpage.render(page_in(), TEMPLATE),
                         "doc/pyplugin-gen.1 is stale: run make")

    def test_every_callback_with_its_signatures(self):
        items = section(manpage.render(page_in(), TEMPLATE))
        self.assertEqual(list(items), [cb.name for cb in CALLBACKS])
        for cb in CALLBACKS:
            lines = items[cb.name]
            for d in Dialect:
                words = manpage.signature(cb.params(d), cb.name)
                self.assertIn(words, lines, (cb.name, d))
            if cb.required:
                self.assertIn("Required.", lines)
            else:
                self.assertIn(f"Without it: {manpage.text(cb.default)}.",
                              lines)
        # Dialects that differ are each named.
        pread = items["pread"]
        for d in Dialect:
            self.assertIn(f"{d.title}:", pread)
        self.assertNotIn("API 1:", items["cache"])

    def test_signature_request(self):
        self.assertEqual(manpage.signature(("h", "buf"), "pwrite"),
                         '.BI "pwrite(" "h" ", " "buf" ")"')
        self.assertEqual(manpage.signature((), "cleanup"), ".B cleanup()")

    def test_rendered_by_man(self):
        """man formats the page without a warning, and the section
        reads as text."""
        out = subprocess.run(
            ["man", "--warnings", "-l", "-"], input=manpage.render(
                page_in(), TEMPLATE), capture_output=True, text=True,
            env=dict(os.environ, MANWIDTH="200", MAN_KEEP_FORMATTING=""))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stderr, "")
        flat = " ".join(out.stdout.split())
        self.assertIn("API 2 released: pread(h, buf, offset, flags) returns "
                      "nothing", flat)

    def test_follows_the_table(self):
        row = dataclasses.replace(BY_NAME["flush"],
                                  default="a default the table now says")
        table = tuple(row if cb.name == "flush" else cb for cb in CALLBACKS)
        with mock.patch.object(manpage, "CALLBACKS", table):
            text = manpage.render(page_in(), TEMPLATE)
        self.assertIn("Without it: a default the table now says.",
                      section(text)["flush"])
        self.assertIs(manpage.CALLBACKS, callbacks.CALLBACKS)

    def test_troff_text_is_escaped(self):
        self.assertEqual(manpage.text(r"a\b"), r"a\eb")
        self.assertEqual(manpage.text(".x"), r"\&.x")
        self.assertEqual(manpage.text("'x"), r"\&'x")

    def test_marker_once(self):
        with self.assertRaisesRegex(ValueError, "once, not 0 times"):
            manpage.render("no marker\n", TEMPLATE)
        twice = f"{manpage.MARKER}\n{manpage.MARKER}\n"
        with self.assertRaisesRegex(ValueError, "not 2 times"):
            manpage.render(twice, TEMPLATE)
        self.assertEqual(re.findall(re.escape(manpage.MARKER), page_in()),
                         [manpage.MARKER])
