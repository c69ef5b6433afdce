"""CDKTF constructs, one per platform capability, each with a typed props object beside it.

Constructs take values, never an environment name: ``environments/`` decides, ``modules/`` builds.
"""
