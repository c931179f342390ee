"""Errors raised by the export stage; each carries a one-line, user-facing reason."""


class ExportError(Exception):
    """Base class: anything that stops an export or a parity check."""


class BundleError(ExportError):
    """The pipeline bundle is missing, unreadable or not what the contract describes."""


class UnsupportedModelError(ExportError):
    """The pipeline contains a step or estimator this exporter cannot reproduce exactly."""


class InvalidModelFileError(ExportError):
    """An ONNX file is missing, truncated, tampered with or breaks the contract."""


class ParityError(ExportError):
    """onnxruntime does not reproduce scikit-learn within tolerance."""
