"""Our own check of a metric's syntax tree, run before RestrictedPython's compiler (defence in depth), the
choice of the function to call, and the user-facing traceback of a failed run.

RestrictedPython refuses most of this too; checking it again here means one missed case in either layer
(as positional-only parameters were in RestrictedPython before 8.x) is not an escape.
"""
import ast
import re

import hh_guards

# Attribute names refused in source: a literal `.gi_frame` or `.format(` is never needed by a metric.
REFUSED_ATTRIBUTES = hh_guards.INTERNAL_NAMES | frozenset({"format", "format_map", "mro"})


class PolicyError(Exception):
    def __init__(self, message, line=None):
        super().__init__(message)
        self.message = message
        self.line = line


def _private(name):
    # A lone "_" is the usual throwaway name and cannot shadow a guard (they are all _name_).
    return name is not None and name.startswith("_") and name != "_"


def _refuse(node, message):
    raise PolicyError(message, getattr(node, "lineno", None))


def _names(node):
    """Every identifier a node binds or reads, with the node to report."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Attribute):
        yield node.attr
    elif isinstance(node, ast.arg):
        yield node.arg
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name
    elif isinstance(node, ast.alias):
        yield from node.name.split(".")
        yield node.asname
    elif isinstance(node, ast.ImportFrom):
        yield from (node.module or "").split(".")
    elif isinstance(node, ast.keyword):
        yield node.arg
    elif isinstance(node, ast.ExceptHandler):
        yield node.name
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        yield from node.names
    elif isinstance(node, (ast.MatchAs, ast.MatchStar)):
        yield node.name
    elif isinstance(node, ast.MatchMapping):
        yield node.rest
    elif isinstance(node, ast.MatchClass):
        yield from node.kwd_attrs


_REFUSED_NODES = {
    ast.ClassDef: "class definitions are not allowed: a metric is a function (def metric(event): ...)",
    ast.AsyncFunctionDef: "async functions are not allowed in metrics",
    ast.Await: "await is not allowed in metrics",
    ast.AsyncFor: "async for is not allowed in metrics",
    ast.AsyncWith: "async with is not allowed in metrics",
    # A generator's frame outlives the call and is one attribute away (gi_frame); metrics return values.
    ast.Yield: "yield is not allowed in metrics: return the value instead",
    ast.YieldFrom: "yield from is not allowed in metrics: return the value instead",
    # Class patterns read attributes (and __match_args__) with the real getattr, past _getattr_.
    ast.MatchClass: "class patterns in match statements are not allowed in metrics",
    ast.TryStar: "except* is not allowed in metrics",
}


def parse(source):
    """The checked syntax tree of source, ready for RestrictedPython; raises PolicyError when refused."""
    try:
        tree = ast.parse(source, filename="<metric>")
    except SyntaxError as e:
        raise PolicyError(f"SyntaxError: {e.msg}", e.lineno) from None
    except (ValueError, MemoryError, RecursionError) as e:
        raise PolicyError(f"the code cannot be parsed: {type(e).__name__}", None) from None
    refusal = _check(tree)
    if refusal is not None:
        raise refusal
    return ast.fix_missing_locations(_AnnotationsDropped().visit(tree))


class _AnnotationsDropped(ast.NodeTransformer):
    """Every annotation goes before compiling; a metric never reads one.

    RestrictedPython refuses annotated assignments outright, so `x: int = 1` becomes `x = 1`. Parameter and
    return annotations go too: a string annotation is code that typing.get_type_hints later runs with the
    real eval, past every guard (functools.singledispatch's register() does exactly that).
    """

    def visit_AnnAssign(self, node):
        if node.value is None:
            return ast.copy_location(ast.Pass(), node)
        return ast.copy_location(ast.Assign(targets=[node.target], value=self.visit(node.value)), node)

    def visit_arg(self, node):
        node.annotation = None
        return node

    def visit_FunctionDef(self, node):
        node.returns = None
        return self.generic_visit(node)


def _check(tree):
    """The refusal with the earliest line (ast.walk goes breadth first, so the first one met may be later)."""
    refusals = []
    for node in ast.walk(tree):
        try:
            _check_node(node)
        except PolicyError as e:
            refusals.append(e)
    if refusals:
        return min(refusals, key=lambda e: e.line or 0)
    if not any(isinstance(n, ast.FunctionDef) for n in tree.body):
        return PolicyError("define a function that takes the event, e.g. def metric(event): return 1.0", None)
    return None


def _check_node(node):
    refused = _REFUSED_NODES.get(type(node))
    if refused is not None:
        _refuse(node, refused)
    if isinstance(node, ast.ImportFrom):
        if node.level:
            _refuse(node, "relative imports are not allowed in metrics")
        if any(alias.name == "*" for alias in node.names):
            _refuse(node, "'from ... import *' is not allowed in metrics")
    for name in _names(node):
        if _private(name):
            _refuse(node, f"'{name}': names starting with '_' are not allowed in metrics")
    if isinstance(node, ast.Attribute) and node.attr in REFUSED_ATTRIBUTES:
        hint = "; use an f-string" if node.attr in ("format", "format_map") else ""
        _refuse(node, f"'.{node.attr}' is not allowed in metrics{hint}")
    if isinstance(node, ast.FunctionDef) and node.name == "printed":
        _refuse(node, "'printed' is a reserved name")


def function_names(tree):
    """The top-level defs in order: the run calls the one named like the metric, else the last."""
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    if not names:
        raise PolicyError("define a function that takes the event, e.g. def metric(event): return 1.0", None)
    return tuple(names)


# Host paths that a library's message may carry (/usr/lib/python3/dist-packages/..., the worker's folder).
_HOST_PATH = re.compile(r"(?:/[\w.+@-]+){2,}/?")


def user_traceback(error, source):
    """The traceback of error restricted to the metric's own frames, its source lines and the message."""
    lines = source.splitlines()
    frames = []
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == "<metric>":
            frames.append((tb.tb_lineno, code.co_name))
        tb = tb.tb_next
    out = ["Traceback (most recent call last):"]
    for lineno, name in frames[-20:]:
        where = "<module>" if name == "<module>" else name
        out.append(f'  File "<metric>", line {lineno}, in {where}')
        if lineno and 0 < lineno <= len(lines):
            out.append("    " + lines[lineno - 1].strip()[:200])
    try:
        text = str(error)
    except Exception:  # a message that cannot be rendered says so rather than failing the report
        text = "<message unavailable>"
    text = _HOST_PATH.sub("<path>", text)
    out.append(f"{type(error).__name__}: {text}" if text else type(error).__name__)
    return "\n".join(out), (frames[-1][0] if frames else None)
