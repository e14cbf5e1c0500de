"""FEEL's external Java functions, for a fixed set of `java.lang` static methods written in Python.

    function(x) external {java: {class: "java.lang.Math", method signature: "cos(double)"}}

The standard lets a function be "external": a Java static method named by class and signature. There is
no Java here, and loading classes by name would run whatever a model names, so only the table below is
known: `java.lang.Math`'s arithmetic and the boxed types' conversions (`Integer.valueOf`, ...,
`String.valueOf`, `String.format`). Any other class or signature is a FEEL error (null and a warning).
Arguments convert as Java would take them (a FEEL number to `double`, `int` with a range check, a
one-character string to `char`); results come back as FEEL values.
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from .values import FEEL_CONTEXT, FeelError, Function, to_string

SIGNATURE = re.compile(r"^\s*([A-Za-z_$][\w$]*)\s*\((.*)\)\s*$")
INTEGRAL = {"byte": 2**7, "short": 2**15, "int": 2**31, "long": 2**63}
FLOATING = ("double", "float")
BOXED = {"java.lang.Byte": "byte", "java.lang.Short": "short", "java.lang.Integer": "int",
         "java.lang.Long": "long", "java.lang.Float": "float", "java.lang.Double": "double"}


def _argument(value: Any, java_type: str) -> Any:
    """A FEEL value as the Java parameter type takes it."""
    if java_type in FLOATING:
        if not isinstance(value, decimal.Decimal):
            raise FeelError(f"a Java {java_type} needs a number")
        return float(value)
    if java_type in INTEGRAL:
        if not isinstance(value, decimal.Decimal) or value != value.to_integral_value():
            raise FeelError(f"a Java {java_type} needs a whole number")
        bound = INTEGRAL[java_type]
        if not -bound <= int(value) < bound:
            raise FeelError(f"{value} is out of a Java {java_type}'s range")
        return int(value)
    if java_type == "char":
        if not isinstance(value, str) or len(value) != 1:
            raise FeelError("a Java char needs a one-character string")
        return value
    if java_type in ("java.lang.String", "String"):
        if not isinstance(value, str):
            raise FeelError("a Java String needs a string")
        return value
    if java_type == "boolean":
        if not isinstance(value, bool):
            raise FeelError("a Java boolean needs a boolean")
        return value
    return value  # java.lang.Object


def _result(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return decimal.Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FeelError("the Java method's result is not a finite number")
        return FEEL_CONTEXT.create_decimal(repr(value))
    return value


def _parse_number(java_type: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return int(text.strip()) if java_type in INTEGRAL else float(text.strip())
        except ValueError:
            raise FeelError(f"NumberFormatException: {text!r} is not a Java {java_type}") from None
    return parse


MAX_WIDTH = 1_000
"""`%999999999s` would build a gigabyte string before any size check could see it."""
FORMAT_SPEC = re.compile(r"%(-?\d*)(?:\.(\d+))?([sdfn%])")


def _java_format(template: str, *values: Any) -> str:
    """`String.format` for `%s`, `%d`, `%f` (with width and precision), `%n` and `%%`."""
    remaining = list(values)

    def one(match: re.Match[str]) -> str:
        width, precision, kind = match.groups()
        if abs(int(width or 0)) > MAX_WIDTH or int(precision or 0) > MAX_WIDTH:
            raise FeelError(f"String.format: a width or precision above {MAX_WIDTH} is not taken")
        if kind in "n%":
            return "\n" if kind == "n" else "%"
        if not remaining:
            raise FeelError("MissingFormatArgumentException: String.format has too few arguments")
        value = remaining.pop(0)
        if kind == "s":
            text = value if isinstance(value, str) else to_string(value)
        elif kind == "d":
            if not isinstance(value, int | decimal.Decimal) or value != int(value):
                raise FeelError("IllegalFormatConversionException: %d needs a whole number")
            text = str(int(value))
        else:
            text = f"{decimal.Decimal(value):.{int(precision or 6)}f}"
        return text.ljust(int(width[1:])) if width.startswith("-") else text.rjust(int(width or 0))
    return FORMAT_SPEC.sub(one, template)


def _math_overloads(name: str, function: Callable[..., Any], arity: int,
                    types: tuple[str, ...] = ("double", "float", "int", "long")) -> dict[tuple[str, ...], Any]:
    return {(name, *[kind] * arity): function for kind in types}


def _table() -> dict[str, dict[tuple[str, ...], Callable[..., Any]]]:
    math_methods: dict[tuple[str, ...], Callable[..., Any]] = {}
    unary: tuple[tuple[str, Callable[[float], Any]], ...] = (
        ("cos", math.cos), ("sin", math.sin), ("tan", math.tan), ("acos", math.acos), ("asin", math.asin),
        ("atan", math.atan), ("exp", math.exp), ("log", math.log), ("log10", math.log10), ("sqrt", math.sqrt),
        ("floor", math.floor), ("ceil", math.ceil))
    for name, function in unary:
        math_methods[(name, "double")] = lambda x, f=function: float(f(x))
    math_methods.update(_math_overloads("max", max, 2))
    math_methods.update(_math_overloads("min", min, 2))
    math_methods.update(_math_overloads("abs", abs, 1))
    math_methods[("pow", "double", "double")] = lambda x, y: math.pow(x, y)
    math_methods[("atan2", "double", "double")] = math.atan2
    math_methods[("round", "double")] = lambda x: int(math.floor(x + 0.5))
    math_methods[("signum", "double")] = lambda x: math.copysign(1.0, x) if x else 0.0
    table: dict[str, dict[tuple[str, ...], Callable[..., Any]]] = {"java.lang.Math": math_methods}
    for class_name, java_type in BOXED.items():
        parse = _parse_number(java_type)
        method = "parse" + ("Int" if java_type == "int" else java_type.capitalize())
        table[class_name] = {("valueOf", java_type): lambda x: x, ("valueOf", "java.lang.String"): parse,
                             (method, "java.lang.String"): parse}
    strings: dict[tuple[str, ...], Callable[..., Any]] = {
        ("valueOf", kind): (lambda x: to_string(_result(x))) for kind in (*INTEGRAL, *FLOATING, "boolean")}
    strings[("valueOf", "char")] = lambda x: x
    strings[("valueOf", "java.lang.Object")] = lambda x: to_string(x)
    strings[("format", "java.lang.String", "[Ljava.lang.Object;")] = _java_format
    table["java.lang.String"] = strings
    return table


METHODS = _table()


def _signature(text: str) -> tuple[str, tuple[str, ...]]:
    match = SIGNATURE.match(text)
    if not match:
        raise FeelError(f"not a Java method signature: {text!r}")
    kinds = tuple(part.strip() for part in match.group(2).split(",") if part.strip())
    return match.group(1), tuple("java.lang.String" if kind == "String" else kind for kind in kinds)


def java_function(mapping: Any, parameters: list[str], name: str = "function") -> Function:
    """The Function of `external {java: {class: ..., method signature: ...}}` (or of a boxed function
    definition of kind Java, whose body is that inner context); a FEEL error if the method is unknown."""
    if isinstance(mapping, Mapping) and isinstance(mapping.get("java"), Mapping):
        mapping = mapping["java"]
    if not isinstance(mapping, Mapping):
        raise FeelError("an external Java function needs {class: ..., method signature: ...}")
    class_name, signature = mapping.get("class"), mapping.get("method signature")
    if not isinstance(class_name, str) or not isinstance(signature, str):
        raise FeelError("an external Java function needs a class and a method signature, as strings")
    method, kinds = _signature(signature)
    implementation = METHODS.get(class_name.strip(), {}).get((method, *kinds))
    if implementation is None:
        raise FeelError(f"no Java method {class_name}.{method}({', '.join(kinds)}) is available here")
    variadic = bool(kinds) and kinds[-1].startswith("[")

    def call(*args: Any) -> Any:
        fixed = kinds[:-1] if variadic else kinds
        if len(args) < len(fixed) or (len(args) > len(fixed) and not variadic):
            raise FeelError(f"{class_name}.{method} takes {len(kinds)} arguments, not {len(args)}")
        converted = [_argument(value, kind) for value, kind in zip(args, fixed, strict=False)]
        extra = [value for value in args[len(fixed):]] if variadic else []
        try:
            return _result(implementation(*converted, *extra))
        except (ValueError, OverflowError, ZeroDivisionError) as error:
            raise FeelError(f"{class_name}.{method}: {error}") from None
    return Function(name, parameters, call, variadic=variadic)
