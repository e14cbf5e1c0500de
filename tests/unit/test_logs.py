"""`pathways.base.logs`: what a log record may keep of a failure, and what never."""

from __future__ import annotations

import logging

from pathways.base import logs
from pathways.base.sealing import SealingError
from pathways.engine.errors import InvalidData

VALUE = "ul. Ukryta 12"


def _raised(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as cause:
            raise outer from cause
    except BaseException as caught:
        return caught


def test_a_traceback_keeps_frames_and_classes_and_withholds_untrusted_texts() -> None:
    error = _raised(InvalidData("the comment is not valid"), ValueError(f"invalid literal for int(): {VALUE!r}"))
    text = logs.withheld_traceback(error)
    assert VALUE not in text
    assert f"ValueError: {logs.WITHHELD}" in text  # the class stays, the text does not
    assert "pathways.engine.errors.InvalidData: the comment is not valid" in text  # worded without values
    assert "The above exception was the direct cause" in text and text.count("Traceback") == 2
    assert "in _raised" in text  # the frames stay
    sealing_error = logs.withheld_traceback(_raised(SealingError("data key 'k1' is not in the ring"), KeyError(VALUE)))
    assert "data key 'k1' is not in the ring" in sealing_error and VALUE not in sealing_error


def test_the_filter_drops_spiffworkflows_task_data_and_the_raw_exception() -> None:
    error = _raised(RuntimeError(VALUE), KeyError(VALUE))
    record = logging.LogRecord("spiff.task", logging.INFO, __file__, 1, "State changed", (),
                               (type(error), error, error.__traceback__))
    record.data, record.internal_data, record.task_spec = {"address": VALUE}, {"x": VALUE}, "confirm"
    assert logs.NoCaseValues().filter(record)
    assert record.exc_info is None and "RuntimeError" in (record.exc_text or "")
    assert VALUE not in logging.Formatter().format(record) + repr(record.__dict__)
    assert record.task_spec == "confirm"  # what is not data stays


def test_install_quiets_spiffworkflow_and_filters_its_loggers() -> None:
    logs.install()
    logs.install()  # idempotent
    assert logging.getLogger("spiff.task").level != logging.NOTSET  # below INFO it attaches task data
    for name in ("spiff.task", "spiff.data", "pathways.engine", "pathways.app"):
        assert sum(isinstance(f, logs.NoCaseValues) for f in logging.getLogger(name).filters) == 1, name
    rows = logging.LogRecord("sqlalchemy.engine.Engine", logging.DEBUG, __file__, 1, "Row %r", ((VALUE,),), None)
    assert not logs.NoRows().filter(rows)
