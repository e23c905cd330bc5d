"""Conductor's REST resources, one router module per resource."""
