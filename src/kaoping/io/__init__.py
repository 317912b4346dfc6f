"""Importers and loaders: spreadsheets, CSV, GeoJSON and the packaged seed data (YAML)."""
