"""Pipeline stages: pure functions over frozen dataclasses, one module per stage."""
