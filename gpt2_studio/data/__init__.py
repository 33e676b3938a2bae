"""Data files shipped inside the package (built-in presets), read with importlib.resources."""
