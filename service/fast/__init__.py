"""The measured speed devices (docs/performance/devices.md): switching one off stays in this folder."""
