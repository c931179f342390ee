"""The process and its operations: settings, gunicorn config, start-up checks, the model store, deploys."""
