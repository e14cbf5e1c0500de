"""FEEL's numeric functions (DMN 1.3, 10.3.4.5 and the 1.4 rounding functions most tools accept)."""

from __future__ import annotations

import decimal
from typing import Any

from .registry import MISSING, builtin, need, need_int
from .values import FEEL_CONTEXT, FeelError

Number = decimal.Decimal


def _number(value: Any, what: str = "n") -> Number:
    result: Number = need(value, "number", what)
    return result


def _round(n: Any, scale: Any, rounding: str) -> Number:
    places = need_int(scale, "scale")
    if not -6111 <= places <= 6176:
        raise FeelError("scale out of range")
    value = _number(n)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent <= places:
        return value  # already that precise: nothing to round (and no 6176-digit quantize)
    return value.quantize(Number(1).scaleb(-places), rounding=rounding, context=FEEL_CONTEXT)


@builtin("decimal", "n", "scale")
def decimal_(n: Any, scale: Any) -> Number:
    return _round(n, scale, decimal.ROUND_HALF_EVEN)


@builtin("round up", "n", "scale")
def round_up(n: Any, scale: Any) -> Number:
    return _round(n, scale, decimal.ROUND_UP)


@builtin("round down", "n", "scale")
def round_down(n: Any, scale: Any) -> Number:
    return _round(n, scale, decimal.ROUND_DOWN)


@builtin("round half up", "n", "scale")
def round_half_up(n: Any, scale: Any) -> Number:
    return _round(n, scale, decimal.ROUND_HALF_UP)


@builtin("round half down", "n", "scale")
def round_half_down(n: Any, scale: Any) -> Number:
    return _round(n, scale, decimal.ROUND_HALF_DOWN)


@builtin("floor", "n", "scale?")
def floor(n: Any, scale: Any = MISSING) -> Number:
    return _round(n, Number(0) if scale is MISSING else scale, decimal.ROUND_FLOOR)


@builtin("ceiling", "n", "scale?")
def ceiling(n: Any, scale: Any = MISSING) -> Number:
    return _round(n, Number(0) if scale is MISSING else scale, decimal.ROUND_CEILING)


@builtin("abs", "n")
def abs_(n: Any) -> Any:
    import datetime as dt

    from .values import YearsMonths

    if isinstance(n, dt.timedelta):
        return abs(n)
    if isinstance(n, YearsMonths):
        return YearsMonths(abs(n.months))
    return abs(_number(n))


@builtin("modulo", "dividend", "divisor")
def modulo(dividend: Any, divisor: Any) -> Number:
    a, b = _number(dividend, "dividend"), _number(divisor, "divisor")
    if b == 0:
        raise FeelError("modulo by zero")
    # FEEL: the result has the sign of the divisor (dividend - divisor * floor(dividend / divisor))
    quotient = FEEL_CONTEXT.divide(a, b).to_integral_value(rounding=decimal.ROUND_FLOOR)
    return FEEL_CONTEXT.subtract(a, FEEL_CONTEXT.multiply(b, quotient))


@builtin("sqrt", "number")
def sqrt(number: Any) -> Number:
    value = _number(number, "number")
    if value < 0:
        raise FeelError("square root of a negative number")
    return FEEL_CONTEXT.sqrt(value)


@builtin("log", "number")
def log(number: Any) -> Number:
    value = _number(number, "number")
    if value <= 0:
        raise FeelError("logarithm of a number not above zero")
    return FEEL_CONTEXT.ln(value)


@builtin("exp", "number")
def exp(number: Any) -> Number:
    return FEEL_CONTEXT.exp(_number(number, "number"))


@builtin("odd", "number")
def odd(number: Any) -> bool:
    value = _number(number, "number")
    if value != value.to_integral_value():
        raise FeelError("odd takes a whole number")
    return int(value) % 2 == 1


@builtin("even", "number")
def even(number: Any) -> bool:
    value = _number(number, "number")
    if value != value.to_integral_value():
        raise FeelError("even takes a whole number")
    return int(value) % 2 == 0
