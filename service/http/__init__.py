"""The HTTP layer: the app factory, views, schemas, errors, OpenAPI, API keys and the web page."""
