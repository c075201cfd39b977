"""The live dashboard's figures (``data``), read from the published snapshot; the pages are in ``dashboard/views/``."""
