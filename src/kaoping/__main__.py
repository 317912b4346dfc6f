"""`python -m kaoping` is the `kaoping` command."""

from kaoping.cli.main import app

app(prog_name="kaoping")
