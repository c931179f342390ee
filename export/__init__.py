"""Export: turn the fitted scikit-learn Pipeline into one self-describing ONNX file, with parity proof."""
