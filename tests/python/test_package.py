"""The package's surface: every name of the extension is exported, typed in the stub and documented."""
import ast
import pathlib

import penumbra
from penumbra import _penumbra


def public(module):
    return {n for n in dir(module) if not n.startswith("_")}


def test_every_name_is_exported_typed_and_documented():
    stub = pathlib.Path(penumbra.__file__).with_name("_penumbra.pyi")
    tree = ast.parse(stub.read_text())
    typed = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    names = public(_penumbra)
    assert names <= typed, f"missing from _penumbra.pyi: {sorted(names - typed)}"
    assert names <= set(penumbra.__all__), f"not exported: {sorted(names - set(penumbra.__all__))}"
    for name in names:
        assert getattr(_penumbra, name).__doc__, f"{name} has no docstring"
