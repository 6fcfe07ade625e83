"""Corridor: case management for organisations that get people out of danger."""

__version__ = "0.1.0"
