"""Models: checkpoint validation, loading, the lean runner, the catalog, the model store and hub downloads."""
