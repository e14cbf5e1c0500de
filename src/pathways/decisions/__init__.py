"""DMN decisions: the FEEL expression language (`feel`) and the DMN 1.3 model (`dmn`).

Pure functions over values: no Flask, no engine, no store (docs/decisions.md).

    model = read_model(content, "eligibility.dmn")
    result = evaluate(model, "Eligibility", {"Age": 34})
    result.value, result.error, result.hits
"""

from .dmn import DmnError, Evaluation, Hit, Model, evaluate, read_model, read_root

__all__ = ["DmnError", "Evaluation", "Hit", "Model", "evaluate", "read_model", "read_root"]
