"""Converts a metric's return value to its return type without running code the user controls.

Only exact built-in types (and numpy scalars, whose conversion numpy defines) are accepted, so no
user-reachable __float__/__eq__/__str__ runs here.
"""
import math
import sys


class InvalidReturn(Exception):
    pass


def _numpy_scalar(value):
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.generic)


def _describe(value):
    kind = type(value)
    module = kind.__module__
    return kind.__name__ if module in ("builtins", None) else f"{module}.{kind.__name__}"


def convert(value, return_type, categories, output_bytes):
    if _numpy_scalar(value):
        value = value.item()
    kind = type(value)
    if return_type == "float":
        if kind in (int, float, bool):
            number = float(value) if kind is not int or abs(value) < 2 ** 1023 else math.inf
            if math.isnan(number) or math.isinf(number):
                raise InvalidReturn(f"the metric returned {value!r:.40}, which is not a finite number; expected float")
            return number
        raise InvalidReturn(f"the metric returned {_describe(value)}; expected float (a number)")
    if return_type == "boolean":
        if kind is bool:
            return value
        # 0 and 1 are what many metrics written for Python's truthiness return; anything else is a mistake.
        if kind is int and value in (0, 1):
            return bool(value)
        raise InvalidReturn(f"the metric returned {_describe(value)}; expected boolean (True or False)")
    if return_type == "string":
        if kind is str:
            if len(value.encode("utf-8", "surrogatepass")) > output_bytes:
                raise InvalidReturn(f"the metric returned a string longer than the output limit of {output_bytes} bytes")
            return value
        raise InvalidReturn(f"the metric returned {_describe(value)}; expected string")
    if return_type == "categorical":
        if kind is not str:
            raise InvalidReturn(f"the metric returned {_describe(value)}; expected categorical (one of the categories as a string)")
        allowed = list(categories or [])
        if value not in allowed:
            shown = value if len(value) <= 100 else value[:100] + "..."
            raise InvalidReturn(f"the metric returned '{shown}', which is not one of the categories {allowed}")
        return value
    raise InvalidReturn(f"unknown return type '{return_type}'; expected float, boolean, string or categorical")
