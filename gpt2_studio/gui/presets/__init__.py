"""Preset widgets: toolbar, runner, result panel, preset editor and its form."""
