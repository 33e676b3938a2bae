"""Provenance: which characters of a document a model wrote, with a record of how (Qt-free).

``spans`` holds the edit algebra, ``records`` what each span's text came from, ``offsets`` the
conversion between Qt's UTF-16 positions and Python's characters, ``store`` the entry kept in the user's
data folder (verified by content hash, re-anchored by ``reanchor`` when the file changed elsewhere), and
``export`` the marked copies and the JSON report.
"""
