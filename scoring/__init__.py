"""Batch scoring of whole customer files: a streaming CLI (`python -m scoring.batch`) and a Spark job.

Every row goes through `runtime.predictor.Predictor`, so a row gets the same probability bits here, in
Spark and behind the HTTP API. Imports neither Flask, the service, training nor scikit-learn.
"""
