"""HTTP service: Flask + Marshmallow + onnxruntime. Never imports scikit-learn, pandas or xgboost."""
