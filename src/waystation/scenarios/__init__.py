"""Scenarios shipped with waystation, as YAML package data."""
