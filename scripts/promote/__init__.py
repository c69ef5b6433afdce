"""The promotion pipeline's steps: saved plans and their summary, the guarded apply, smoke tests, the
promotion record and what the build hands to later steps. Run as ``python3 -m scripts.promote``."""
