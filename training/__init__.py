"""Training side: data generation and loading, the scikit-learn Pipeline, model comparison, report."""
