"""Provenance in the editor: the tracker that marks model text as it enters the document and follows
every edit, the hooks the insertion points call, and the View/File/status-bar pieces."""
