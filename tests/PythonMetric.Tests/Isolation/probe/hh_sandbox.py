"""Test-only harness: runs a metric's source as PLAIN Python (no RestrictedPython), so the isolation tests
see what the operating system alone allows a worker to do. Same entry points as the real harness."""
import json
import traceback


def prepare(preload, output_bytes=None):
    for name in preload:
        __import__(name)


def _answer(success, result=None, code=None, message=None):
    return json.dumps({"success": success, "result": result, "explanation": None,
                       "error_code": code, "message": message, "line": None, "stdout": None})


def run(request_json):
    try:
        request = json.loads(request_json)
    except ValueError as e:
        return _answer(False, code="execution_error", message="bad request: %s" % e)
    scope = {}
    try:
        exec(compile(request["source"], "<probe>", "exec"), scope)
        return _answer(True, scope[request["metric_name"]](request["event"]))
    except BaseException as e:
        return _answer(False, code="execution_error", message="%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc()))
