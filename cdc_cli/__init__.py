"""The ``cdc`` command line: one entry point, one sub-command per component."""
