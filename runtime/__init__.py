"""The Flask-free core every scorer shares: the model contract, model loading and checks, validation, scoring.

Imports nothing heavier than NumPy and onnxruntime (tests/test_import_rules.py enforces it), so a Spark
executor, a batch job or another protocol front end scores a row exactly as `POST /predict` does.
"""
