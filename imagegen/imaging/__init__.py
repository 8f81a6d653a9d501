"""Image bytes: checked, resized, uploads, canvases and tools, charts, and the worker thread for them."""
