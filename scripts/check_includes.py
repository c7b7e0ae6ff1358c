#!/usr/bin/env python3
"""Dependency-floor check (issue 20): no #include crosses a floor.

Every source file belongs to a layer (by its folder); a layer may include
itself and the layers listed in FLOORS below. Fails (exit 1) with one line per
offence, "path:line: LAYER includes OTHER (allowed: ...)", and also when a file
in a LibTorch-free layer includes a LibTorch header (<torch/...>, <ATen/...>,
<c10/...>).

Usage:
  scripts/check_includes.py [--root DIR]   check the tree (CTest: Structure.Includes)
  scripts/check_includes.py --list         print every offence, exit 0
  scripts/check_includes.py --self-test    check the checker on built-in cases

The floors are docs/architecture.md's: core <- io <- {instruments, datasets};
core <- model (the LibTorch interfaces) <- {priors, samplers, instruments/torch};
{datasets, priors, samplers} <- nn (its training loop); diagnostics = metrics
over core; pipelines above all of those; cli above pipelines. The floors must
form no cycle (checked by the self-test). Python 3 standard library only.
"""

import os
import re
import sys

from checker_cli import run_checker

ROOTS = ("src", "instruments", "priors", "samplers", "bench", "examples")
EXTENSIONS = (".cpp", ".hpp", ".inc", ".h", ".cc")

# Layer of a path: the first prefix that matches (most specific first).
LAYER_OF_PREFIX = [
    ("src/core/", "core"),
    ("src/io/", "io"),
    ("src/datasets/", "datasets"),
    ("src/model/", "model"),
    ("src/nn/", "nn"),
    ("src/diagnostics/", "diagnostics"),
    ("src/parallel/", "parallel"),
    ("src/semantics/", "semantics"),
    ("src/pipelines/", "pipelines"),
    ("src/cli/", "cli"),
    ("instruments/torch/", "instruments_torch"),
    ("instruments/", "instruments"),
    ("priors/", "priors"),
    ("samplers/", "samplers"),
    ("bench/", "bench"),
    ("examples/", "examples"),
    # Generated at configure time (version string): below every layer.
    ("penumbra/", "generated"),
]

_BELOW_PIPELINES = ["core", "io", "instruments", "datasets", "model", "priors", "samplers",
                    "instruments_torch", "nn", "diagnostics", "parallel", "semantics"]

# What each layer may include besides itself ("generated" is open to all).
FLOORS = {
    "core": [],
    "parallel": ["core"],
    "io": ["core"],
    "instruments": ["core", "io"],
    "datasets": ["core", "io"],
    "model": ["core"],
    "priors": ["core", "io", "model"],
    "samplers": ["core", "model"],
    "instruments_torch": ["core", "io", "instruments", "model"],
    # The classifier's training loop (src/nn/training) is variational inference
    # with a weight prior (priors/weight_priors, samplers/variational) on
    # labelled images (datasets), so nn sits above those floors.
    "nn": ["core", "model", "datasets", "priors", "samplers"],
    "diagnostics": ["core"],
    # Annotations to tags (issue 25): text, WordNet, Eigen; no LibTorch.
    "semantics": ["core", "io"],
    "pipelines": _BELOW_PIPELINES,
    "cli": _BELOW_PIPELINES + ["pipelines"],
    "bench": _BELOW_PIPELINES + ["pipelines"],
    "examples": _BELOW_PIPELINES + ["pipelines"],
}

# Layers that must build without LibTorch.
TORCH_FREE = {"core", "io", "instruments", "parallel", "semantics"}
TORCH_HEADER = re.compile(r"^(torch|ATen|c10)/")

_INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def layer_of(rel):
    rel = rel.replace(os.sep, "/")
    for prefix, layer in LAYER_OF_PREFIX:
        if rel.startswith(prefix):
            return layer
    return None


def allowed(layer):
    return [layer] + FLOORS.get(layer, []) + ["generated"]


def _resolve(root, including, target):
    """Repository-relative path of a quoted include, or None if outside the tree.

    Quoted includes are written from the repository root; a name next to the
    including file (e.g. "nufft_spread.inc") is looked up there first.
    """
    beside = os.path.normpath(os.path.join(os.path.dirname(including), target))
    if os.path.exists(os.path.join(root, beside)):
        return beside.replace(os.sep, "/")
    return target


def check_file(root, rel, lines):
    """Offences of one file (rel: path relative to root; lines: its text lines)."""
    layer = layer_of(rel)
    if layer is None:
        return []
    found = []
    in_comment = False
    for number, line in enumerate(lines, 1):
        if in_comment:
            if "*/" not in line:
                continue
            line = line[line.index("*/") + 2:]
            in_comment = False
        m = _INCLUDE.match(line)
        if not m:
            if "/*" in line and "*/" not in line[line.index("/*"):]:
                in_comment = True
            continue
        quote, target = m.groups()
        if quote == "<":
            if layer in TORCH_FREE and TORCH_HEADER.match(target):
                found.append((rel, number,
                              f"{layer} includes LibTorch header <{target}> "
                              f"({layer} builds without LibTorch)"))
            continue
        other = layer_of(_resolve(root, rel, target))
        if other is None or other in allowed(layer):
            continue
        found.append((rel, number,
                      f"{layer} includes {other} (allowed: {', '.join(allowed(layer)[:-1])})"))
    return found


def source_files(root):
    for top in ROOTS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith(EXTENSIONS):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def unknown_folders(root):
    """Folders under src/ with no layer: a new floor must be placed in FLOORS."""
    base = os.path.join(root, "src")
    if not os.path.isdir(base):
        return []
    return [(f"src/{d}", 1, f"folder src/{d} has no layer in scripts/check_includes.py")
            for d in sorted(os.listdir(base))
            if os.path.isdir(os.path.join(base, d)) and layer_of(f"src/{d}/") is None]


def offences(root):
    found = unknown_folders(root)
    for rel in source_files(root):
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            found += check_file(root, rel, f.read().splitlines())
    return found


_SELF_TESTS = [
    ("src/core/a.cpp", '#include "src/core/b.hpp"\n#include <vector>\n', 0),
    ("src/core/a.cpp", '#include "src/io/fits_image.hpp"\n', 1),
    ("src/core/a.hpp", "#include <torch/torch.h>\n#include <ATen/core/Tensor.h>\n", 2),
    ("src/io/a.cpp", '#include "src/core/errors.hpp"\n#include "penumbra/version.hpp"\n', 0),
    ("instruments/nufft.cpp", '#include "src/io/uvtable.hpp"\n#include "src/model/model.hpp"\n', 1),
    ("instruments/torch/op.hpp",
     '#include "instruments/nufft.hpp"\n#include "src/model/model.hpp"\n#include <torch/torch.h>\n', 0),
    ("priors/p.hpp", '#include "samplers/driver.hpp"\n', 1),
    ("samplers/s.cpp", '#include "priors/diffusion_prior.hpp"\n', 1),
    ("src/diagnostics/d.cpp", '#include "src/pipelines/posterior_pipeline.hpp"\n', 1),
    ("src/pipelines/p.cpp", '#include "src/cli/context.hpp"\n#include "samplers/driver.hpp"\n', 1),
    ("src/cli/c.cpp", '#include "src/pipelines/comparison.hpp"\n#include "src/nn/classifier.hpp"\n', 0),
    ("bench/b.cpp", '#include "src/cli/context.hpp"\n', 1),
    ("src/nn/n.cpp", '// #include "priors/weight_priors.hpp"\n/*\n#include "src/io/png.hpp"\n*/\n', 0),
]


def floor_cycles():
    """Layers that FLOORS lets reach themselves through others (must be none)."""
    def reach(layer, seen):
        for below in FLOORS.get(layer, []):
            if below not in seen:
                seen.add(below)
                reach(below, seen)
        return seen
    return [layer for layer in FLOORS if layer in reach(layer, set())]


def self_test():
    """Failure messages of the built-in cases (empty when all pass)."""
    failures = [f"FLOORS lets {layer} include itself through other layers" for layer in floor_cycles()]
    for rel, text, expected in _SELF_TESTS:
        got = check_file("/nonexistent", rel, text.splitlines())
        if len(got) != expected:
            failures.append(f"{rel}: expected {expected} offence(s), got {got}")
    return failures


def main(argv=None):
    return run_checker("check_includes", __doc__, self_test, lambda args: offences(args.root), argv=argv)


if __name__ == "__main__":
    sys.exit(main())
