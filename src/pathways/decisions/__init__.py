"""DMN decisions: the FEEL expression language (`feel`), and later the DMN model and hit policies.

Pure functions over values: no Flask, no engine, no store (docs/decisions.md).
"""
