"""The writing surface: text column, fonts, counts, focus mode, full screen (install.WritingSurface)."""
