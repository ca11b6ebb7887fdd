"""The harness every worker imports: compiles a metric's source under RestrictedPython and runs it.

Entry points called by the worker (PythonMetric.Worker/Program.cs):
  prepare(preload)  once, before the OS limits: imports RestrictedPython and the preloaded modules.
  run(request_json) per run: request = PythonMetricRunRequest as JSON; returns PythonMetricRunResult
                    as JSON (success, result, explanation, error_code, message, line, stdout).
Foundation version: compiles and calls, nothing more. The sandbox work replaces it with the guards.
"""
import json

from RestrictedPython import compile_restricted, safe_globals
from RestrictedPython.Eval import default_guarded_getitem


def prepare(preload):
    for name in preload:
        __import__(name)


def _failure(code, message, line=None):
    return json.dumps({"success": False, "result": None, "explanation": None,
                       "error_code": code, "message": message, "line": line, "stdout": None})


def run(request_json):
    request = json.loads(request_json)
    try:
        code = compile_restricted(request["source"], "<metric>", "exec")
    except SyntaxError as e:
        return _failure("compilation_error", str(e), e.lineno)
    scope = dict(safe_globals)
    scope["_getitem_"] = default_guarded_getitem
    try:
        exec(code, scope)
        functions = [v for k, v in scope.items() if callable(v) and getattr(v, "__module__", None) is None]
        function = scope.get(request["metric_name"]) or (functions[-1] if functions else None)
        if function is None:
            return _failure("compilation_error", "the source defines no function to call")
        value = function(request["event"])
    except Exception as e:
        return _failure("execution_error", "%s: %s" % (type(e).__name__, e))
    return json.dumps({"success": True, "result": value, "explanation": None,
                       "error_code": None, "message": None, "line": None, "stdout": None})
