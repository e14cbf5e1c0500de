"""The DMN TCK (the standard's conformance tests) run against `pathways.decisions` (docs/dmn-conformance.md)."""
