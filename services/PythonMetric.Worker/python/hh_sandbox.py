"""The harness every worker imports: checks, compiles and runs a metric's source under RestrictedPython.

Entry points called by the worker (PythonMetric.Worker/Program.cs):
  prepare(preload, output_bytes)  once, before the OS limits: imports RestrictedPython and the preloaded
                    modules, hardens the libraries, builds the builtins table, drops pythonnet's clr.
  run(request_json) per run: request = PythonMetricRunRequest as JSON; returns PythonMetricRunResult
                    as JSON (success, result, explanation, error_code, message, line, stdout).
Layers, each enough on its own for most attacks: hh_policy (our syntax-tree check), RestrictedPython's
compiler, hh_guards (run-time guards), hh_harden (library entry points closed once at import), fresh
globals per run, and the worker's OS isolation around all of it. hh_convert turns the return value into
the metric's return type.
"""
import builtins
import dis
import collections
import json
import re
import sys
import types

import RestrictedPython  # noqa: F401  (imported whole before the OS limits close the file system)
import RestrictedPython.Guards
from RestrictedPython import compile_restricted_exec

import hh_convert
import hh_guards
import hh_harden
import hh_policy

MAX_SOURCE_BYTES = 64 * 1024
DEFAULT_OUTPUT_BYTES = 64 * 1024
CACHE_SIZE = 256
FILENAME = "<metric>"

_state = {"output_bytes": DEFAULT_OUTPUT_BYTES, "builtins": None}
# code_key -> (source, code object, names of the top-level defs)
_cache = collections.OrderedDict()
_stats = {"compiles": 0}


def prepare(preload, output_bytes=DEFAULT_OUTPUT_BYTES):
    _state["output_bytes"] = int(output_bytes)
    for name in preload:
        if name not in hh_guards.ALLOWED_MODULES:
            raise ValueError(f"preload module '{name}' is not on the metric allowlist")
        __import__(name)
    _forget_clr()
    hh_harden.harden_loaded()
    hh_guards.fill_denied_ids(sys.modules)
    _state["builtins"] = types.MappingProxyType(_safe_builtins())


def _forget_clr():
    """Drops pythonnet's Python side: user code must never hold a CLR object.

    The import guard already refuses `clr` and `System`, and no allowed module refers to them; removing
    the clr modules from sys.modules and pythonnet's DotNetFinder from sys.meta_path means that no import
    made during a run (a library's, from C) can reach .NET namespaces either. The worker's .NET side keeps
    its own references and needs neither after prepare.
    """
    for name in [m for m in sys.modules if m == "clr" or m.startswith("clr.")]:
        del sys.modules[name]
    sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "__name__", type(f).__name__) != "DotNetFinder"]


def _safe_builtins():
    table = {name: getattr(builtins, name) for name in _SAFE_NAMES}
    table.update({
        "None": None, "True": True, "False": False,
        "getattr": hh_guards.guarded_getattr, "hasattr": hh_guards.guarded_hasattr,
        "__import__": _guarded_import,
    })
    return table


_SAFE_NAMES = (
    "abs", "all", "any", "ascii", "bin", "bool", "bytes", "callable", "chr", "complex", "dict", "divmod",
    "enumerate", "filter", "float", "frozenset", "hash", "hex", "int", "isinstance", "issubclass", "iter",
    "len", "list", "map", "max", "min", "next", "oct", "ord", "pow", "range", "repr", "reversed", "round",
    "set", "slice", "sorted", "str", "sum", "tuple", "zip",
    "ArithmeticError", "AssertionError", "AttributeError", "BaseException", "Exception", "FloatingPointError",
    "ImportError", "IndexError", "KeyError", "LookupError", "MemoryError", "NameError", "NotImplementedError",
    "OverflowError", "RecursionError", "RuntimeError", "StopIteration", "TypeError", "UnicodeError",
    "UnicodeDecodeError", "UnicodeEncodeError", "ValueError", "ZeroDivisionError",
)


_IMPORT_NAME = dis.opmap["IMPORT_NAME"]


def _from_import_statement():
    """True when the caller is an `import` statement of the metric itself.

    C code that imports while a metric's frame is on top (numpy's ndarray.sum loads numpy.core._methods on
    first use) goes through the __import__ of that frame's builtins, which is this guard. Such imports are
    the library's own, with names the metric does not choose: they get the plain import, for its side
    effect only (PyImport_Import discards what __import__ returns and reads sys.modules). The metric's own
    imports are IMPORT_NAME instructions in <metric>.
    """
    try:
        frame = sys._getframe(2)
    except ValueError:  # no Python frame above: not a metric's statement
        return False
    return frame.f_code.co_filename == FILENAME and frame.f_code.co_code[frame.f_lasti] == _IMPORT_NAME


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    if not _from_import_statement():
        # None, not the module: should a metric ever hold this function and call it, it gets nothing back.
        __import__(name, None, None, (), 0)
        return None
    if level != 0:
        raise ImportError("relative imports are not available to metrics")
    if name not in hh_guards.ALLOWED_MODULES:
        raise ImportError(f"import of '{name}' is not allowed; metrics may import: {', '.join(sorted(hh_guards.ALLOWED_MODULES))}")
    module = __import__(name, None, None, fromlist or (), 0)
    hh_harden.harden_loaded()
    if not fromlist:
        return module
    # `from m import x` reads x off what this returns with the real getattr (IMPORT_FROM), so it gets a
    # namespace holding only the names asked for, each read through the guard (refused or substituted).
    target = sys.modules[name]
    return types.SimpleNamespace(**{item: hh_guards.guarded_getattr(target, item) for item in fromlist})


class _Printer:
    """What RestrictedPython's print(...) and `printed` call: collects text up to the output limit."""

    def __init__(self, limit):
        self.limit = limit
        self.parts = []
        self.size = 0
        self.truncated = False

    def __call__(self, *ignored):
        return "".join(self.parts)

    def _call_print(self, *objects, sep=" ", end="\n", file=None, flush=False):
        if file is not None:
            raise TypeError("print(file=...) is not available to metrics")
        if self.truncated:
            return
        text = (" " if sep is None else str(sep)).join(str(o) for o in objects) + ("\n" if end is None else str(end))
        room = self.limit - self.size
        encoded = text.encode("utf-8", "replace")
        if len(encoded) > room:
            text = encoded[:max(room, 0)].decode("utf-8", "ignore")
            self.truncated = True
        self.parts.append(text)
        self.size += len(text.encode("utf-8", "replace"))

    def text(self):
        out = "".join(self.parts)
        if not self.truncated:
            return out
        # The whole stdout, marker included, stays within the limit.
        marker = "\n[output truncated at %d bytes]" % self.limit
        room = max(self.limit - len(marker.encode("utf-8")), 0)
        return out.encode("utf-8", "replace")[:room].decode("utf-8", "ignore") + marker


def _result(success, result=None, code=None, message=None, line=None, stdout=None):
    limit = _state["output_bytes"]
    if message is not None:
        message = _cap(_clean(message), limit)
    return json.dumps({"success": success, "result": _clean(result) if isinstance(result, str) else result,
                       "explanation": None, "error_code": code, "message": message, "line": line,
                       "stdout": _clean(stdout) if stdout else None})


def _clean(text):
    # A lone surrogate (chr(0xD800)) is valid in a Python str but not in UTF-16 JSON: the pool's reader
    # refuses the whole answer. Each becomes "?".
    return text.encode("utf-8", "replace").decode("utf-8")


def _cap(text, limit):
    encoded = text.encode("utf-8", "replace")
    if len(encoded) <= limit:
        return text
    return encoded[:max(limit - 40, 0)].decode("utf-8", "ignore") + "\n[message truncated]"


def _compile(key, source):
    cached = _cache.get(key)
    if cached is not None and cached[0] == source:
        _cache.move_to_end(key)
        return cached
    tree = hh_policy.parse(source)
    names = hh_policy.function_names(tree)
    result = compile_restricted_exec(tree, filename=FILENAME)
    if result.errors or result.code is None:
        first = result.errors[0] if result.errors else "the source does not compile"
        match = re.match(r"Line (\d+): (.*)", first, re.S)
        raise hh_policy.PolicyError(match.group(2) if match else first, int(match.group(1)) if match else None)
    entry = (source, result.code, names)
    _stats["compiles"] += 1
    _cache[key] = entry
    _cache.move_to_end(key)
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return entry


def _fresh_globals(printer):
    builtins = dict(_state["builtins"])
    return {
        "__builtins__": builtins,
        "__name__": "metric",
        "_getattr_": hh_guards.guarded_getattr,
        "_getitem_": hh_guards.guarded_getitem,
        "_getiter_": hh_guards.guarded_getiter,
        "_write_": hh_guards.guarded_write,
        "_inplacevar_": hh_guards.inplace_var,
        "_apply_": hh_guards.guarded_apply,
        "_iter_unpack_sequence_": RestrictedPython.Guards.guarded_iter_unpack_sequence,
        "_unpack_sequence_": RestrictedPython.Guards.guarded_unpack_sequence,
        "_print_": lambda *ignored: printer,
    }


def run(request_json):
    if _state["builtins"] is None:
        prepare([])
    request = json.loads(request_json)
    limit = int((request.get("limits") or {}).get("output_bytes") or _state["output_bytes"])
    source = request.get("source") or ""
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        return _result(False, code="compilation_error",
                       message=f"the metric's code is larger than the limit of {MAX_SOURCE_BYTES // 1024} KB", line=None)
    try:
        _, code, names = _compile(request.get("code_key") or source, source)
    except hh_policy.PolicyError as e:
        return _result(False, code="compilation_error", message=e.message, line=e.line)
    except SyntaxError as e:
        return _result(False, code="compilation_error", message=f"SyntaxError: {e.msg}", line=e.lineno)
    except (MemoryError, RecursionError) as e:
        return _result(False, code="compilation_error", message=f"the code is too large or too deeply nested to compile ({type(e).__name__})")

    # The metric's name picks the function per run: two metrics may share a source (and its code key).
    metric_name = request.get("metric_name") or ""
    function_name = metric_name if metric_name in names else names[-1]
    printer = _Printer(limit)
    scope = _fresh_globals(printer)
    try:
        exec(code, scope)
        function = scope.get(function_name)
        if not isinstance(function, types.FunctionType):
            return _result(False, code="compilation_error", message=f"'{function_name}' is not a function; define a function that takes the event",
                           stdout=printer.text())
        # The event is parsed again from the request text so no run shares an object with another.
        event = request.get("event")
        value = function(event if isinstance(event, dict) else {})
    except BaseException as e:  # noqa: B902  user code may raise anything, KeyboardInterrupt and SystemExit included
        try:
            message, line = hh_policy.user_traceback(e, source)
        except BaseException:  # noqa: B902  formatting after a MemoryError can fail too; the type still says it
            message, line = type(e).__name__, None
        del e
        return _result(False, code="execution_error", message=message, line=line, stdout=printer.text())
    try:
        converted = hh_convert.convert(value, request.get("return_type") or "float", request.get("categories"), limit)
    except hh_convert.InvalidReturn as e:
        return _result(False, code="invalid_return_error", message=str(e), stdout=printer.text())
    return _result(True, result=converted, stdout=printer.text())
