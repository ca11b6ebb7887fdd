"""Changes the harness makes to libraries once, right after their import and before any metric runs.

Each closes a way a library call, made with arguments a metric chooses, would read files, read raw memory
or run code past the guards; the guards (hh_guards) then hand out the stand-ins registered here.
"""
import sys


def _refuse_remote_ref(self, uri):
    raise LookupError(f"$ref to '{uri[:100]}' is not resolved in metrics: include the schema inline")


def _refuse_file_input(decode):
    def guarded(self, doc):
        if getattr(self, "input", "content") != "content":
            raise ValueError("vectorizers in metrics take the text itself (input='content'), not file names or files")
        return decode(self, doc)
    return guarded


# Library objects handed out behind a guard: id(real object) -> stand-in (classes whose constructor has a
# dangerous form, numpy's r_/c_ whose string index reads a frame).
GUARDED_TYPES = {}


class _NoStringIndex:
    """numpy.r_ / numpy.c_ for a metric: indexing with a string is refused wherever the index happens (a
    library's frame indexing a mapping the metric passed in included)."""

    __slots__ = ("_real",)

    def __init__(self, real):
        self._real = real

    def __getitem__(self, key):
        if isinstance(key, str):
            raise TypeError("numpy.r_/c_ with a matrix string is not available to metrics; index with arrays")
        return self._real[key]

    def __len__(self):
        return len(self._real)


def _guarded_type(real, refused_positions, refused_keywords, why):
    """A stand-in for a library class: isinstance/issubclass and attributes answer as the real class, and
    calling it refuses the arguments named, so one dangerous constructor form is closed without losing the
    class for isinstance checks."""

    class Guard(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, real)

        def __subclasscheck__(cls, sub):
            return issubclass(sub, real)

        def __getattr__(cls, name):
            return getattr(real, name)

        def __call__(cls, *args, **kwargs):
            if any(len(args) > i and args[i] is not None for i in refused_positions) or \
                    any(kwargs.get(k) is not None for k in refused_keywords):
                raise TypeError(f"{real.__name__}(...) with {'/'.join(refused_keywords)} is not available to metrics ({why})")
            return real(*args, **kwargs)

    return Guard(real.__name__, (), {"__module__": real.__module__, "__doc__": real.__doc__})


def _harden_numpy(module):
    # ndarray(shape, object, buffer) and recarray(..., buf=...) read PyObject pointers out of raw bytes: a
    # forged address becomes a live object. Metrics never need a buffer-backed array, so both forms are refused.
    for real, positions, keywords in ((module.ndarray, (2,), ("buffer",)), (module.recarray, (2,), ("buf",)),
                                      (module.chararray, (3,), ("buffer",)), (module.void, (1,), ("dtype",))):
        GUARDED_TYPES[id(real)] = _guarded_type(real, positions, keywords, "raw memory")
    for concatenator in (module.r_, module.c_):
        GUARDED_TYPES[id(concatenator)] = _NoStringIndex(concatenator)


def _harden_jsonschema(module):
    # RefResolver fetches a remote $ref with urlopen, file:// URLs included: a host file read.
    module.validators.RefResolver.resolve_remote = _refuse_remote_ref


def _harden_sklearn_text(module):
    # input="filename" makes a vectorizer open the paths it is given.
    mixin = module._VectorizerMixin
    if not getattr(mixin.decode, "hh_guarded", False):
        mixin.decode = _refuse_file_input(mixin.decode)
        mixin.decode.hh_guarded = True


def _refuse_memory(check_memory):
    def guarded(memory):
        if memory is not None:
            raise ValueError("memory= (a joblib cache on disk) is not available to metrics")
        return check_memory(memory)
    return guarded


def _harden_sklearn_cluster(module):
    # memory="/path" makes AgglomerativeClustering and OPTICS cache pickles in a folder of the worker.
    for inner in ("_agglomerative", "_optics"):
        submodule = sys.modules.get(module.__name__ + "." + inner)
        if submodule is not None and hasattr(submodule, "check_memory"):
            submodule.check_memory = _refuse_memory(submodule.check_memory)


def _harden_joblib(module):
    # sklearn's n_jobs runs work through joblib; its process backends (loky, multiprocessing) cloudpickle a
    # metric's function into a child interpreter with the real builtins, where open() works. Every backend
    # name maps to the sequential one, which is also the default of this (the only Python) thread.
    parallel = module.parallel
    for name in list(parallel.BACKENDS):
        parallel.BACKENDS[name] = parallel.SequentialBackend
    parallel.DEFAULT_BACKEND = "sequential"
    parallel.DEFAULT_THREAD_BACKEND = "sequential"
    module.parallel_backend("sequential").__enter__()


# Changes the harness makes to a library once, right after its import and before any metric sees it.
HARDENING = {"numpy": _harden_numpy, "joblib": _harden_joblib, "jsonschema": _harden_jsonschema, "sklearn.feature_extraction.text": _harden_sklearn_text,
             "sklearn.cluster": _harden_sklearn_cluster}
_hardened = set()


def harden_loaded():
    for name, harden in HARDENING.items():
        if name not in _hardened and name in sys.modules:
            harden(sys.modules[name])
            _hardened.add(name)
