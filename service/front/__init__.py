"""The fronts `python -m service.process.launch` protects gunicorn with: the buffering worker class, or
nginx (settings, config)."""
