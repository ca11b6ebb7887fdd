"""Run-time guards RestrictedPython calls from compiled metric code (_getattr_, _getitem_, _write_, ...).

The policy: user code reaches only the allowlisted modules, never a frame, code object, traceback, class
hierarchy walk, CLR object or a library callable that touches files, processes or process-wide state.
Names are refused by rule (anything starting with "_") and by list (internals of frames, generators,
coroutines and tracebacks; str.format, whose field syntax walks attributes without us).
"""
import collections
import copy
import operator
import sys
import types
import unicodedata

from hh_harden import GUARDED_TYPES

# Modules a metric may import, as dotted names. A module read as an attribute (numpy.lib, pandas.io.common.os)
# is refused unless it is one of these, so the allowlist holds however a module is reached.
ALLOWED_MODULES = frozenset({
    "math", "statistics", "re", "json", "datetime", "collections", "collections.abc", "itertools",
    "functools", "difflib", "string", "jsonschema",
    "numpy", "numpy.linalg", "numpy.random", "numpy.fft",
    "pandas",
    "sklearn", "sklearn.metrics", "sklearn.metrics.pairwise", "sklearn.preprocessing",
    "sklearn.feature_extraction", "sklearn.feature_extraction.text", "sklearn.linear_model",
    "sklearn.cluster", "sklearn.decomposition", "sklearn.neighbors",
})

# Internals of frames, generators, coroutines, async generators, tracebacks and code objects: each leads
# to a frame, and a frame leads to f_globals/f_builtins of the harness.
INTERNAL_NAMES = frozenset({
    "gi_frame", "gi_code", "gi_yieldfrom", "gi_running", "gi_suspended",
    "cr_frame", "cr_code", "cr_await", "cr_origin", "cr_running", "cr_suspended",
    "ag_frame", "ag_code", "ag_await", "ag_running",
    "tb_frame", "tb_next", "tb_lasti", "tb_lineno",
    "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace", "f_lasti", "f_lineno",
    "f_generator", "f_trace_lines", "f_trace_opcodes",
    "co_code", "co_consts", "co_names", "co_varnames", "co_filename", "co_lines", "co_positions",
    "co_cellvars", "co_freevars", "co_linetable", "co_exceptiontable", "co_qualname", "co_name",
    "with_traceback",
})

# Refused on every object: str.format/format_map resolve "{0.__class__}" fields with the real getattr;
# mro walks to object and its subclasses; ctypes/tofile/dump hand out raw memory or write files.
ALWAYS_REFUSED = INTERNAL_NAMES | frozenset({
    "format", "format_map", "mro", "Formatter", "ctypes", "tofile", "dump", "memmap",
    "eval", "query", "style", "plot", "hist", "boxplot", "to_pickle", "to_sql", "to_excel", "to_hdf",
    "to_parquet", "to_feather", "to_stata", "to_clipboard", "to_orc", "to_gbq", "read_pickle",
    "set_config", "config_context", "set_option", "reset_option", "option_context", "options",
    "seed", "set_state", "seterr", "seterrcall", "setbufsize", "set_printoptions", "set_string_function",
    "seterrobj", "as_strided", "stride_tricks", "sliding_window_view", "externals", "joblib",
    "DataSource", "f2py", "distutils", "testing", "ctypeslib", "load", "save", "savez",
    "savez_compressed", "savetxt", "loadtxt", "genfromtxt", "fromfile", "fromregex", "recfromcsv",
    "recfromtxt", "show_config", "show_versions", "get_include", "lib", "ExcelWriter", "HDFStore",
    "set_numeric_ops", "printoptions", "add_newdoc", "add_docstring", "add_newdoc_ufunc", "lookfor", "info",
    "source", "who", "ExcelFile", "set_params", "set_eng_float_format", "set_bit_generator",
    # numpy.bmat reads names out of its caller's frame (f_globals/f_locals): the harness's when a guard calls it.
    "bmat",
    # Each of these mutates a shared object (a library function, a class, a shared FormatChecker).
    "update_wrapper", "wraps", "total_ordering", "checks", "cls_checks",
})

# Writers that take an optional path: refused with a path, allowed to return a string.
PATH_WRITERS = frozenset({"to_csv", "to_json", "to_string", "to_markdown", "to_html", "to_latex", "to_xml"})

# Prefixes refused on modules and library objects: pandas' readers and registries, sklearn's fetchers.
REFUSED_PREFIXES = ("read_", "register_", "fetch_", "load_")

_MUTABLE = (dict, list, set, bytearray, collections.deque)


def _refuse(obj, name, why):
    kind = obj.__name__ if isinstance(obj, types.ModuleType) else type(obj).__name__
    raise AttributeError(f"access to '{name}' on {kind} is not allowed in metrics ({why})")


def _is_exception(obj):
    return isinstance(obj, BaseException) or (isinstance(obj, type) and issubclass(obj, BaseException))


def check_name(obj, name):
    """Refuses a name by rule; answers the name to look up."""
    if not isinstance(name, str):
        raise TypeError("attribute name must be a string")
    # A built name is looked up literally, but refuse its NFKC form too: the parser folds "＿＿class＿＿"
    # into "__class__" in source, so a built twin gets the same answer.
    folded = unicodedata.normalize("NFKC", name)
    for candidate in (name, folded):
        if candidate.startswith("_"):
            _refuse(obj, name, "names starting with '_' are private")
        if candidate in ALWAYS_REFUSED:
            _refuse(obj, name, "it reaches interpreter internals, files or process-wide state")
        if candidate.startswith(REFUSED_PREFIXES) and not _is_plain_value(obj):
            _refuse(obj, name, "it reads files or changes shared library state")
        if candidate == "obj" and _is_exception(obj):
            _refuse(obj, name, "an exception's object is not exposed")
        if candidate == "register" and isinstance(obj, type):
            _refuse(obj, name, "registering a class changes it for every metric")
        if candidate == "test" and isinstance(obj, types.ModuleType):
            _refuse(obj, name, "it runs the library's test suite")
    return name


def _is_plain_value(obj):
    # str.removeprefix etc. never match the prefixes; dict keys are not attributes. Plain values have no
    # dangerous read_/load_ methods, so only library objects are checked by prefix.
    return isinstance(obj, (str, bytes, int, float, complex, bool, tuple, list, dict, set, frozenset))


def check_value(value, owner):
    """Checks what an attribute or item lookup produced before user code gets it."""
    if isinstance(value, types.ModuleType):
        if value.__name__ not in ALLOWED_MODULES:
            raise ImportError(f"module '{value.__name__}' is not available to metrics; allowed: {', '.join(sorted(ALLOWED_MODULES))}")
        return value
    if isinstance(value, (types.FrameType, types.TracebackType, types.CodeType)):
        raise AttributeError(f"{type(value).__name__} objects are not available to metrics")
    if _clr_object(value):
        raise AttributeError("CLR objects are not available to metrics")
    if _may_be_shared(owner) and _is_shared_mutable(value, owner):
        # A container read off a module, a class or a library object may be shared by every tenant of this
        # worker (jsonschema's format checkers, numpy's type tables): hand out a copy.
        try:
            return copy.deepcopy(value)
        except Exception:
            raise AttributeError("this shared value cannot be copied for a metric") from None
    if id(value) in GUARDED_TYPES:
        return GUARDED_TYPES[id(value)]
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)) and id(value) in DENIED_IDS:
        raise AttributeError(f"'{getattr(value, '__name__', '?')}' is not allowed in metrics")
    return value


def _may_be_shared(owner):
    if owner is None:
        return False
    if isinstance(owner, (types.ModuleType, type)):
        return True
    return (type(owner).__module__ or "builtins") != "builtins"


def _is_shared_mutable(value, owner):
    if isinstance(value, _MUTABLE):
        return True
    if not isinstance(owner, (types.ModuleType, type)):
        return False
    module = type(value).__module__ or ""
    return module.startswith(("numpy", "pandas")) and hasattr(value, "copy") and not isinstance(value, type) \
        and type(value).__name__ in ("ndarray", "DataFrame", "Series")


def _clr_object(value):
    module = type(value).__module__ or ""
    return module == "clr" or module.startswith(("System", "Python.Runtime", "CLR"))


# ids of library callables refused however they are reached (filled by prepare from DENIED_PATHS).
DENIED_IDS = set()
DENIED_PATHS = (
    "numpy.load", "numpy.save", "numpy.savez", "numpy.savez_compressed", "numpy.savetxt", "numpy.loadtxt",
    "numpy.genfromtxt", "numpy.fromfile", "numpy.fromregex", "numpy.memmap", "numpy.seterr", "numpy.seterrcall",
    "numpy.setbufsize", "numpy.set_printoptions", "numpy.random.seed", "numpy.random.set_state",
    "numpy.lib.stride_tricks.as_strided", "pandas.eval", "pandas.read_pickle", "pandas.read_csv",
    "pandas.set_option", "pandas.reset_option", "sklearn.set_config",
)


def fill_denied_ids(modules):
    for path in DENIED_PATHS:
        head, _, name = path.rpartition(".")
        module = modules.get(head)
        if module is None:
            continue
        target = getattr(module, name, None)
        if target is not None:
            DENIED_IDS.add(id(target))


def _path_writer(method, name):
    def guarded(*args, **kwargs):
        target = args[0] if args else next((kwargs[k] for k in ("path_or_buf", "buf") if k in kwargs), None)
        if target is not None:
            raise AttributeError(f"{name}() may not write to a file or buffer in a metric; call it without a path to get a string")
        return method(*args, **kwargs)
    return guarded


# pandas methods that, given a string, call the method of that name on the object with the real getattr:
# df.apply('to_csv', path_or_buf=...) writes a file, s.agg('__class__') reads a dunder, and
# df.rolling(3, win_type=name) calls getattr(scipy.signal, name).
STRING_DISPATCH = frozenset({"apply", "agg", "aggregate", "transform", "rolling"})


def _method_names(value, depth=0):
    if isinstance(value, str):
        if value.isidentifier():
            yield value
    elif depth < 4 and isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _method_names(item, depth + 1)
    elif depth < 4 and isinstance(value, dict):
        for item in value.values():
            yield from _method_names(item, depth + 1)


def _string_dispatch(method, obj, name):
    def guarded(*args, **kwargs):
        for candidate in _method_names(list(args) + list(kwargs.values())):
            check_name(obj, candidate)
            if candidate.startswith(("to_", "read_")):
                _refuse(obj, candidate, f"{name}() may not call writers or readers by name")
        return method(*args, **kwargs)
    return guarded


def _pandas_owned(obj):
    # The class too: pd.DataFrame.apply(df, 'to_csv', ...) is the same call unbound.
    kind = obj if isinstance(obj, type) else type(obj)
    return (kind.__module__ or "").startswith("pandas")


def guarded_getattr(obj, name, *default):
    check_name(obj, name)
    if _clr_object(obj):
        raise AttributeError("CLR objects are not available to metrics")
    if isinstance(obj, types.ModuleType) and obj.__name__ not in ALLOWED_MODULES:
        raise AttributeError(f"module '{obj.__name__}' is not available to metrics")
    try:
        value = getattr(obj, name)
    except AttributeError:
        if default:
            return default[0]
        raise AttributeError(f"'{type(obj).__name__}' object has no attribute '{name}'") from None
    if name == "resize" and _ndarray_resize(value):
        # ndarray.resize(..., refcheck=False) frees the buffer that views still point to (a use after free).
        _refuse(obj, name, "use numpy.resize or reshape, which return a new array")
    if name in PATH_WRITERS and callable(value) and not _is_plain_value(obj):
        return _path_writer(value, name)
    if name in STRING_DISPATCH and callable(value) and _pandas_owned(obj):
        return _string_dispatch(value, obj, name)
    return check_value(value, obj)


def _ndarray_resize(value):
    # Bound to an array, or the unbound method read off ndarray, a subclass or its stand-in.
    numpy = sys.modules.get("numpy")
    return numpy is not None and (value is numpy.ndarray.resize or isinstance(getattr(value, "__self__", None), numpy.ndarray))


def guarded_hasattr(obj, name):
    try:
        guarded_getattr(obj, name)
        return True
    except (AttributeError, ImportError):
        return False


def _frame_reading_index(obj):
    # numpy.r_["a, b"] / numpy.c_[...] with a string builds a matrix from names looked up in the frame that
    # indexes it (sys._getframe().f_back): that frame is this guard's, whose globals are the harness's.
    numpy = sys.modules.get("numpy")
    concatenator = getattr(getattr(getattr(numpy, "lib", None), "index_tricks", None), "AxisConcatenator", None)
    return concatenator is not None and isinstance(obj, concatenator)


def guarded_getitem(obj, key):
    if isinstance(obj, types.ModuleType):
        raise TypeError("modules cannot be indexed in metrics")
    if isinstance(key, str) and _frame_reading_index(obj):
        raise TypeError("numpy.r_/c_ with a matrix string is not available to metrics; index with arrays")
    return check_value(obj[key], None)


def guarded_getiter(obj):
    if isinstance(obj, types.ModuleType):
        raise TypeError("modules cannot be iterated in metrics")
    return iter(obj)


_BASIC_WRITABLE = (dict, list, set, bytearray, collections.deque)
# Library types a metric creates and legitimately changes (arr[0] = 1, df["x"] = ..., model.C = 2); looked up
# when first needed because sklearn is imported by the metric, not by prepare.
_LIBRARY_WRITABLE = (("numpy", "ndarray"), ("numpy", "flatiter"), ("pandas", "DataFrame"), ("pandas", "Series"),
                     ("pandas.core.indexing", "_LocationIndexer"), ("pandas.core.indexing", "_ScalarAccessIndexer"),
                     ("sklearn.base", "BaseEstimator"))


def _is_writable(obj):
    if isinstance(obj, _BASIC_WRITABLE):
        return True
    for module_name, type_name in _LIBRARY_WRITABLE:
        module = sys.modules.get(module_name)
        kind = getattr(module, type_name, None) if module is not None else None
        if kind is not None and isinstance(obj, kind):
            return True
    return False


# Attributes of a library object that change how its memory is read (ndarray.data/strides/dtype) or what it
# reads (a vectorizer's input="filename"): refused even on objects the metric made.
REFUSED_WRITES = frozenset({"data", "strides", "base", "dtype", "ctypes", "input", "flags"})


class _WriteProxy:
    """What `_write_` hands back for a library object: item writes go through, attribute writes are checked."""

    __slots__ = ("_target",)

    def __init__(self, target):
        object.__setattr__(self, "_target", target)

    def __setattr__(self, name, value):
        target = object.__getattribute__(self, "_target")
        check_name(target, name)
        if name in REFUSED_WRITES:
            raise TypeError(f"a metric may not set '{name}' on {type(target).__name__} objects")
        setattr(target, name, value)

    def __delattr__(self, name):
        raise TypeError("a metric may not delete attributes")

    def __setitem__(self, key, value):
        object.__getattribute__(self, "_target")[key] = value

    def __delitem__(self, key):
        del object.__getattribute__(self, "_target")[key]


def guarded_write(obj):
    """Target of `x.attr = v`, `x[k] = v` and their `del`: only containers and objects the metric made.

    Modules, classes, functions and library singletons (numpy's finfo cache, pandas' options) are shared
    by every tenant of the worker, so a write to them could poison the next run.
    """
    if isinstance(obj, (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType,
                        types.MethodType)) or not _is_writable(obj):
        raise TypeError(f"a metric may not modify {type(obj).__name__} objects; copy the value into a dict or list first")
    return obj if isinstance(obj, _BASIC_WRITABLE) else _WriteProxy(obj)


def inplace_var(op, x, y):
    operation = INPLACE_OPERATORS.get(op)
    if operation is None:
        raise SyntaxError(f"operator {op} is not supported")
    return operation(x, y)


INPLACE_OPERATORS = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
    "@=": operator.imatmul,
}


def guarded_apply(function, *args, **kwargs):
    return function(*args, **kwargs)
