"""Model widgets: the model worker thread, the model manager, the download dialog and the no-model banner."""
