"""The command line shared by scripts/check_structure.py and scripts/check_includes.py.

Both take --root (the repository, default: this folder's parent), --list (print
every offence and exit 0) and --self-test (run the checker on its built-in
cases). Every run starts with the self-test, so a broken checker fails loudly
(exit 2) instead of passing a tree it no longer reads.
"""

import argparse
import os
import sys


def run_checker(name, doc, self_test, offences, add_arguments=None, argv=None):
    """Parse argv, self-test, check; return the exit status.

    self_test() returns a list of failure messages (empty when it passes);
    offences(args) returns (path, line, what) tuples.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--root", default=os.path.dirname(here), help="repository root")
    parser.add_argument("--list", action="store_true", help="print every offence and exit 0")
    parser.add_argument("--self-test", action="store_true", help="check the checker on its built-in cases")
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args(argv)
    failures = self_test()
    for message in failures:
        print(f"{name} self-test: {message}", file=sys.stderr)
    if failures:
        print(f"{name}: the checker's self-test fails ({len(failures)} case(s))", file=sys.stderr)
        return 2
    if args.self_test:
        print(f"{name} self-test: passes")
        return 0
    found = offences(args)
    for path, line, what in found:
        print(f"{path}:{line}: {what}")
    if found and not args.list:
        print(f"{name}: {len(found)} offence(s)", file=sys.stderr)
        return 1
    return 0
