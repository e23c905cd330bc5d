"""Podium: a workflow orchestration engine that speaks Conductor's REST API."""

__version__ = "0.1.0"
