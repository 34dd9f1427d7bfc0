"""Checks of a script model against the callback table."""

from __future__ import annotations

from .callbacks import BY_NAME, REQUIRED
from .diagnostics import Diagnostics
from .script import Script


def check(script: Script, diags: Diagnostics) -> None:
    path = script.path
    for name in REQUIRED:
        if name not in script.callbacks:
            cb = BY_NAME[name]
            diags.error(path, 0, 0,
                        f"required callback '{name}' is not defined; "
                        f"expected def {cb.python_signature(script.dialect)}")
    for name, d in script.callbacks.items():
        cb = BY_NAME[name]
        if d.value_is_literal:
            diags.error(path, d.line, d.col,
                        f"'{name}' is a callback name but is bound to a "
                        "constant, not a function")
            continue
        if d.signature is None:
            continue
        n = len(cb.params(script.dialect))
        if not d.signature.accepts(n):
            diags.error(path, d.line, d.col,
                        f"{name} takes ({', '.join(cb.params(script.dialect))})"
                        f" in {script.dialect.declaration}; "
                        f"it is defined with {_describe(d.signature)}")


def _describe(sig) -> str:
    if sig.required_kwonly:
        return ("required keyword-only parameters "
                + ", ".join(sig.required_kwonly))
    n = sig.positional
    text = f"{n} parameter{'s' if n != 1 else ''}"
    if sig.required != n:
        text += f" ({sig.required} required)"
    return text
