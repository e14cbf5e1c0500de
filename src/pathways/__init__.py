"""pathways: a BPMN workflow engine for multi-agency beneficiary reintegration pathways."""

__version__ = "0.1.0"
