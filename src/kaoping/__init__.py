"""Kaoping (考评): city-management comprehensive evaluation and the digital city-management case loop."""

__version__ = "0.1.0"
