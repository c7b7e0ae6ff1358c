#!/usr/bin/env python3
"""Structure check (issue 20): short functions and thin command files.

Fails (exit 1) with one line per offence when
  - a function body in src/, instruments/, priors/ or samplers/ (.cpp .hpp .inc)
    spans more than --max-function lines, counted from the line of its opening
    brace to the line of its closing brace (lambdas and local classes count
    toward the function that encloses them; a lambda at namespace scope counts
    as a function of its own), or
  - a command file src/cli/*_command.cpp has more than --max-command lines.

Usage:
  scripts/check_structure.py [--root DIR]   check the tree (CTest: Structure.FunctionLength)
  scripts/check_structure.py --list         print every offence, exit 0
  scripts/check_structure.py --self-test    check the checker on built-in snippets

Python 3 standard library only. The parser is a brace matcher over source with
comments, string/character literals and preprocessor lines removed; it knows
enough C++ (constructor initialiser lists, templates, requires-clauses,
operators, brace initialisers) to tell a function body from other braces.
"""

import os
import re
import sys

from checker_cli import run_checker

ROOTS = ("src", "instruments", "priors", "samplers")
EXTENSIONS = (".cpp", ".hpp", ".inc")
MAX_FUNCTION_LINES = 80
MAX_COMMAND_LINES = 250


# --------------------------------------------------------------------------
# Lexing: blank out comments, literals and preprocessor lines, keep newlines.

_RAW_PREFIX = re.compile(r'(?:u8|u|U|L)?R"([^()\\\s]{0,16})\(')


def _newlines(text):
    return "\n" * text.count("\n")


_DIRECTIVE = re.compile(r"^\s*#\s*(\w+)")


def keep_first_branch(src):
    """Blank the #elif/#else branches of every conditional, keeping newlines.

    Each branch of an #if usually opens the same braces; keeping one of them
    keeps the braces balanced.
    """
    out = []
    skipping = []  # per open conditional: is this branch blanked?
    for line in src.split("\n"):
        m = _DIRECTIVE.match(line)
        word = m.group(1) if m else ""
        blank_outer = any(skipping)
        if word in ("if", "ifdef", "ifndef"):
            skipping.append(False)
        elif word in ("elif", "else") and skipping:
            skipping[-1] = True
        elif word == "endif" and skipping:
            skipping.pop()
        out.append("" if blank_outer or any(skipping) else line)
    return "\n".join(out)


def _opens_char_literal(src, i):
    """src[i] == "'": a character literal (x, u8x, Lx), not a digit separator."""
    j = i
    while j > 0 and (src[j - 1].isalnum() or src[j - 1] == "_"):
        j -= 1
    return src[j:i] in ("", "u8", "u", "U", "L")


def strip_source(src):
    """Return src with comments, literals and directives replaced by blanks.

    Every newline is kept so that line numbers stay valid; a string literal
    becomes "" and a character literal ''.
    """
    src = keep_first_branch(src)
    out = []
    i, n = 0, len(src)
    at_line_start = True  # only whitespace seen since the last newline
    while i < n:
        c = src[i]
        if c == "\n":
            out.append(c)
            i += 1
            at_line_start = True
            continue
        if at_line_start and c == "#":
            # Preprocessor directive, with backslash continuations and comments.
            j = i
            while j < n:
                if src.startswith("/*", j):
                    k = src.find("*/", j + 2)
                    k = n if k < 0 else k + 2
                    out.append(_newlines(src[j:k]))
                    j = k
                    continue
                if src.startswith("//", j):
                    k = src.find("\n", j)
                    j = n if k < 0 else k
                    continue
                if src[j] == "\\" and j + 1 < n and src[j + 1] == "\n":
                    out.append("\n")
                    j += 2
                    continue
                if src[j] == "\n":
                    break
                j += 1
            i = j
            continue
        if not c.isspace():
            at_line_start = False
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(" " + _newlines(src[i:j]))
            i = j
            continue
        prev = src[i - 1] if i > 0 else " "
        if c in "uULR" and not (prev.isalnum() or prev == "_"):
            m = _RAW_PREFIX.match(src, i)
            if m:
                close = ")" + m.group(1) + '"'
                j = src.find(close, m.end())
                j = n if j < 0 else j + len(close)
                out.append('""' + _newlines(src[i:j]))
                i = j
                continue
        if c == '"' or (c == "'" and _opens_char_literal(src, i)):
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


_TOKEN = re.compile(
    r"\s+|(?P<id>[A-Za-z_]\w*)|(?P<num>\.?\d(?:[\w.']|[eEpP][+-])*)"
    r"|(?P<p>::|->|\.\.\.|\"\"|''|[^\s\w])"
)


def tokenize(text):
    """Yield (token, line) pairs; '<' and '>' stay single characters."""
    line = 1
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok[0].isspace():
            line += tok.count("\n")
            continue
        yield tok, line


# --------------------------------------------------------------------------
# Parsing: classify every '{' by the declaration in front of it.

_CLASS_KEYS = {"class", "struct", "union", "enum"}
_SCOPE_KEYS = {"namespace", "extern"}
_ACCESS = {"public", "private", "protected"}
_LAMBDA_SPECIFIERS = {"mutable", "constexpr", "consteval", "noexcept", "static"}
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {")", "]", "}"}


def _match_back(toks, i, open_tok, close_tok):
    """Index of the token that opens the group closed at toks[i], or -1."""
    depth = 0
    while i >= 0:
        if toks[i] == close_tok:
            depth += 1
        elif toks[i] == open_tok:
            depth -= 1
            if depth == 0:
                return i
        i -= 1
    return -1


def _skip_group(toks, i, opens=tuple(_OPEN), closes=tuple(_CLOSE)):
    """toks[i] opens a group: index just past its closing token.

    With opens=("<",), closes=(">",) it skips template arguments, jumping over
    bracketed groups inside them (a '>' in parentheses closes nothing).
    """
    depth = 0
    while i < len(toks):
        t = toks[i]
        if t in opens:
            depth += 1
        elif t in closes:
            depth -= 1
            if depth == 0:
                return i + 1
        elif t in _OPEN:
            i = _skip_group(toks, i)
            continue
        i += 1
    return i


def _skip_angles(toks, i):
    """toks[i] == '<': index just past the matching '>'."""
    return _skip_group(toks, i, ("<",), (">",))


def _skip_constraint(toks, i):
    """Skip a requires-clause's constraint expression starting at toks[i]."""
    while i < len(toks):
        if toks[i] == "(":
            i = _skip_group(toks, i)
        else:
            while i < len(toks) and (toks[i] == "::" or re.match(r"\w", toks[i])):
                i += 1
            if i < len(toks) and toks[i] == "<":
                i = _skip_angles(toks, i)
        if i + 1 < len(toks) and toks[i] == "&" and toks[i + 1] == "&":
            i += 2
        elif i + 1 < len(toks) and toks[i] == "|" and toks[i + 1] == "|":
            i += 2
        else:
            return i
    return i


def _strip_prefix(toks):
    """Drop template headers, attributes and leading requires-clauses."""
    i = 0
    while i < len(toks):
        if toks[i] == "template" and i + 1 < len(toks) and toks[i + 1] == "<":
            i = _skip_angles(toks, i + 1)
        elif toks[i] == "[" and i + 1 < len(toks) and toks[i + 1] == "[":
            i = _skip_group(toks, i)
        elif toks[i] == "requires":
            i = _skip_constraint(toks, i + 1)
        else:
            break
    return toks[i:]


def _top_level(toks):
    """Yield (index, token) for tokens not inside (), [] or {}."""
    depth = 0
    for i, t in enumerate(toks):
        if t in _CLOSE:
            depth -= 1
            continue
        if depth == 0:
            yield i, t
        if t in _OPEN:
            depth += 1


def _lambda_head(toks):
    """If toks ends with a lambda introducer and declarator, return its '[' index."""
    i = len(toks) - 1
    # Trailing return type: '-> T' somewhere after the parameter list.
    for k in range(i, -1, -1):
        if toks[k] == "->":
            i = k - 1
            break
        if toks[k] in (")", "]", "(", "[", "{", "}", ";", "="):
            break
    while i >= 0:
        if toks[i] in _LAMBDA_SPECIFIERS:
            i -= 1
        elif toks[i] == ")" and i >= 1:
            # noexcept(...) or requires(...) after the parameters, else parameters.
            j = _match_back(toks, i, "(", ")")
            if j >= 1 and toks[j - 1] in ("noexcept", "requires"):
                i = j - 2
                continue
            break
        else:
            break
    if i >= 0 and toks[i] == ")":
        i = _match_back(toks, i, "(", ")") - 1
        if i >= 0 and toks[i] == ">":  # template lambda: []<typename T>(...)
            i = _match_back(toks, i, "<", ">") - 1
    if i >= 0 and toks[i] == "]":
        j = _match_back(toks, i, "[", "]")
        if j >= 0 and (j == 0 or toks[j - 1] != "["):  # not an attribute [[...]]
            before = toks[j - 1] if j > 0 else "("
            # A subscript follows a value; an introducer follows an operator.
            if not (re.match(r"\w", before) or before in (")", "]", '""')):
                return j
    return -1


def _function_name(toks):
    """Name of the function whose header is toks, or None if it is not one.

    A header has a top-level '(' ... ')' parameter list preceded by a name
    (identifier, template-id, destructor or operator) and no top-level '='
    before it.
    """
    toks = _strip_prefix(toks)
    angles = 0  # inside template arguments: std::function<void()> is a type
    for i, t in _top_level(toks):
        if t == "<" and i > 0 and re.match(r"\w", toks[i - 1]) and toks[i - 1] != "operator":
            angles += 1
            continue
        if t == ">" and angles:
            angles -= 1
            continue
        if angles:
            continue
        if t == "operator":
            # operator(), operator[], operator==, conversion operators, ...
            j = i + 1
            if j < len(toks) and toks[j] in ("(", "["):
                j = _skip_group(toks, j)
            while j < len(toks) and toks[j] != "(":
                j += 1
            if j >= len(toks):
                return None
            return _join(toks[_name_start(toks, i):j])
        if t == "=":
            return None
        if t == "(":
            if i == 0:
                return None
            prev = toks[i - 1]
            if not (re.match(r"[A-Za-z_~]", prev) or prev == ">"):
                return None
            if prev in _CLASS_KEYS or prev in ("decltype", "alignas", "sizeof", "noexcept"):
                if prev in ("decltype", "alignas"):
                    continue
                return None
            start = _name_start(toks, i - 1)
            return _join(toks[start:i])
    return None


def _join(toks):
    """Spell tokens as source would: a space only between two words."""
    out = ""
    for t in toks:
        if out and re.match(r"\w", t) and re.match(r"\w", out[-1]):
            out += " "
        out += t
    return out


def _name_start(toks, i):
    """Walk back from toks[i] over a qualified name (a::b<T>::c, ~T, operator)."""
    j = i
    while j >= 0:
        t = toks[j]
        if t == ">":
            j = _match_back(toks, j, "<", ">") - 1
            continue
        if re.match(r"\w", t) or t == "~":
            if j > 0 and toks[j - 1] in ("::", "~"):
                j -= 2 if toks[j - 1] == "::" else 1
                if toks[j] == "~" and j > 0 and toks[j - 1] == "::":
                    j -= 2
                continue
            return j
        if t == "::":
            j -= 1
            continue
        return j + 1
    return 0


def _has_ctor_initialiser(toks):
    """True if toks is 'name(params) [qualifiers] : ...' (a constructor header)."""
    toks = _strip_prefix(toks)
    seen_params = False
    for _, t in _top_level(toks):
        if t == ")":
            continue
        if t == "(":
            seen_params = True
        elif t == ":" and seen_params:
            return True
    return False


class Function:
    def __init__(self, path, name, first, last):
        self.path, self.name, self.first, self.last = path, name, first, last

    @property
    def lines(self):
        return self.last - self.first + 1


def functions(text, path="<text>"):
    """All function bodies in a C++ source text, as Function records."""
    tokens = list(tokenize(strip_source(text)))
    found = []
    # A scope: kind in {namespace, class, init, function, block}; decl holds the
    # tokens since the last ';', '{' or '}' in that scope; func is the open
    # Function if the scope is (inside) a function body.
    stack = [{"kind": "namespace", "decl": [], "func": None}]
    for tok, line in tokens:
        scope = stack[-1]
        decl = scope["decl"]
        if tok == "{":
            kind, func = _classify_brace(scope, decl, path, line)
            if kind == "member-init":
                decl.append(tok)
                scope.setdefault("member_init_depth", 0)
                scope["member_init_depth"] += 1
                continue
            if func is not None:
                found.append(func)
            stack.append({"kind": kind, "decl": [], "func": func or scope["func"]})
            continue
        if tok == "}":
            if scope.get("member_init_depth"):
                scope["member_init_depth"] -= 1
                decl.append(tok)
                continue
            if len(stack) > 1:
                closed = stack.pop()
                if closed["kind"] == "function-body":
                    closed["func"].last = line
            stack[-1]["decl"] = []
            continue
        if scope.get("member_init_depth"):
            decl.append(tok)
            continue
        if tok == ";" or (scope["kind"] == "init" and tok == ","):
            scope["decl"] = []
            continue
        if tok == ":" and scope["kind"] == "class" and len(decl) == 1 and decl[0] in _ACCESS:
            scope["decl"] = []
            continue
        decl.append(tok)
    return found


def _classify_brace(scope, decl, path, line):
    """Kind of the scope a '{' opens, and the Function it starts (or None)."""
    if scope["func"] is not None:
        return "block", None
    lam = _lambda_head(decl)
    if lam >= 0:
        owner = _variable_name(decl[:lam]) or "lambda"
        return "function-body", Function(path, owner, line, line)
    stripped = _strip_prefix(decl)
    if stripped and stripped[0] in ("namespace", "inline") and "namespace" in stripped[:2]:
        return "namespace", None
    if stripped[:2] == ["extern", '""']:
        return "namespace", None
    first_paren = next((i for i, t in _top_level(stripped) if t == "("), len(stripped))
    if any(t in _CLASS_KEYS for t in stripped[:first_paren]) and "=" not in stripped[:first_paren]:
        # class/struct/union/enum head (a function returning 'struct X' is rare
        # enough to ignore).
        return "class", None
    if _has_ctor_initialiser(decl):
        last = decl[-1] if decl else ""
        if re.match(r"\w", last) and last not in ("const", "noexcept", "override", "final", "try") \
                or last == ">":
            return "member-init", None
    name = _function_name(decl)
    if name:
        return "function-body", Function(path, name, line, line)
    return "init", None


def _variable_name(toks):
    """For 'T name = [...' return name."""
    top = [t for _, t in _top_level(toks)]
    if "=" in top:
        k = top.index("=")
        if k >= 1 and re.match(r"\w", top[k - 1]):
            return top[k - 1]
    return None


# --------------------------------------------------------------------------
# The check.

def source_files(root, roots=ROOTS):
    for top in roots:
        base = os.path.join(root, top)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith(EXTENSIONS):
                    yield os.path.join(dirpath, f)


def offences(root, max_function=MAX_FUNCTION_LINES, max_command=MAX_COMMAND_LINES):
    result = []
    for path in source_files(root):
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for fn in functions(text, rel):
            if fn.lines > max_function:
                result.append((rel, fn.first,
                               f"function {fn.name} is {fn.lines} lines (max {max_function})"))
        if re.fullmatch(r"src/cli/[^/]*_command\.cpp", rel.replace(os.sep, "/")):
            n = len(text.splitlines())
            if n > max_command:
                result.append((rel, 1, f"command file is {n} lines (max {max_command})"))
    return result


# --------------------------------------------------------------------------
# Self-test: snippets whose functions and lengths are known.

_SELF_TESTS = [
    ("plain", "int f(int x) {\n  return x;\n}\n", [("f", 3)]),
    ("comments and strings hide braces",
     'void g() {\n  // {\n  /* } { */\n  const char* s = "{{";\n  char c = \'}\';\n  c = U\'{\' + L\'"\';\n}\n',
     [("g", 7)]),
    ("raw string",
     'void h() {\n  auto r = R"x(\n  } ) " {\n)x";\n}\n', [("h", 5)]),
    ("lambda counts toward its function",
     "void k() {\n  auto l = [&](int a) {\n    return a;\n  };\n  l(1);\n}\n", [("k", 6)]),
    ("constructor initialiser with braces",
     "Foo::Foo(int a)\n    : a_{a}, b_(2), c_{std::vector<int>{1, 2}} {\n  go();\n}\n",
     [("Foo::Foo", 3)]),
    ("template and requires",
     "template <typename T>\n  requires std::is_floating_point_v<T>\nT twice(T x) {\n  return 2 * x;\n}\n"
     "template <class T> void m(T) requires (sizeof(T) > 4) {\n}\n",
     [("twice", 3), ("m", 2)]),
    ("operators",
     "bool operator==(const A& a, const A& b) {\n  return true;\n}\n"
     "struct S {\n  int operator()(int x) const {\n    return x;\n  }\n  explicit operator bool() const { return true; }\n};\n",
     [("operator==", 3), ("operator()", 3), ("operator bool", 1)]),
    ("classes, namespaces, initialisers are not functions",
     "namespace a::b {\nnamespace {\nstruct P : Q<int> {\n  int x{0};\n  std::vector<int> v = {1, 2};\n"
     "  P() = default;\n  void run();\n};\n}  // namespace\n"
     "const std::map<int, int> kTable = {\n  {1, 2},\n  {3, 4},\n};\n"
     "enum class E : int { A, B };\nextern \"C\" {\nint c_fn(void) {\n  return 0;\n}\n}\n}\n",
     [("c_fn", 3)]),
    ("member functions and out-of-line templates",
     "class C {\n public:\n  std::function<void()> cb_{};\n  int get() const noexcept {\n    return v_;\n  }\n\n private:\n  int v_ = 0;\n};\n"
     "template <typename T>\nvoid Plan<T>::Impl::build(std::span<const double> u) {\n  for (;;) {\n  }\n}\n",
     [("get", 3), ("Plan<T>::Impl::build", 4)]),
    ("lambdas at namespace scope and inside tables",
     "const auto kSquare = [](double x) -> double {\n  return x * x;\n};\n"
     "const Entry kEntries[] = {\n  {\"a\", [](int x) {\n     return x;\n   }},\n  {\"b\", nullptr},\n};\n",
     [("kSquare", 3), ("lambda", 3)]),
    ("preprocessor lines and digit separators",
     "#define OPEN {\n#if X\nvoid p() {\n#else\nvoid p() {\n#endif\n  int n = 1'000'000;\n}\n",
     [("p", 6)]),
    ("trailing return type, destructor, try/catch inside",
     "auto q(int a) -> std::vector<int> {\n  try {\n    return {a};\n  } catch (...) {\n  }\n}\n"
     "Foo::~Foo() {\n}\n",
     [("q", 6), ("Foo::~Foo", 2)]),
]


def self_test():
    """Failure messages of the built-in cases (empty when all pass)."""
    failures = []
    for label, src, expected in _SELF_TESTS:
        got = [(f.name, f.lines) for f in functions(src)]
        if got != expected:
            failures.append(f"'{label}': expected {expected}, got {got}")
    return failures


def _add_limits(parser):
    parser.add_argument("--max-function", type=int, default=MAX_FUNCTION_LINES, help="longest function body")
    parser.add_argument("--max-command", type=int, default=MAX_COMMAND_LINES, help="longest command file")


def main(argv=None):
    return run_checker("check_structure", __doc__, self_test,
                       lambda args: offences(args.root, args.max_function, args.max_command), _add_limits, argv)


if __name__ == "__main__":
    sys.exit(main())
