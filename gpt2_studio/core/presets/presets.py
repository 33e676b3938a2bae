"""Where ``Preset`` was imported from before the presets core was split (templates, storage).

Kept only for ``gui/presets/form.py``, which another change owns; import from ``templates`` or
``storage`` instead. Remove once nothing imports it.
"""

from __future__ import annotations

from gpt2_studio.core.presets.templates import Preset

__all__ = ["Preset"]
