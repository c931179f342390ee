"""HTTP service: Flask + Marshmallow + onnxruntime. Never imports scikit-learn, pandas or xgboost.

Subpackages by concern: `http` (app factory, views, schemas, errors, OpenAPI, the page), `fast` (the
measured speed devices), `observe` (logs, metrics, the per-request middleware), `process` (settings,
gunicorn config, start-up checks, the model store, deploys) and `front` (the buffering worker class
and the nginx front).
"""
