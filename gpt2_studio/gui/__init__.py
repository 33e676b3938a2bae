"""The Qt editor: widgets and the thread glue over the core."""
