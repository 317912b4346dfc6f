"""The deterministic synthetic demo city (青川市) and its year of problems."""
