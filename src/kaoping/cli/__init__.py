"""The `kaoping` command line (Typer + rich)."""
