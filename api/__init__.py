"""The HTTP service: ``uvicorn api.app:app``. See :mod:`api.app`."""
