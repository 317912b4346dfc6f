"""Pure domain model: entities, value objects and formulas. No I/O, no frameworks."""
