"""discretion-review: checks Thai officials' use of discretion against the Khon Kaen O48 measures."""

__version__ = "0.1.0"
