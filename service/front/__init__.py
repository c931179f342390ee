"""The buffering front (nginx) that `python -m service.launch` puts before gunicorn: settings, config."""
