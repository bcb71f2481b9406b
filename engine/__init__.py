"""discretion-review: checks Thai officials' use of discretion against the Khon Kaen O48 measures."""

# The release: raised with each release, its upgrade notes in CHANGELOG.md (a test holds the two together)
__version__ = "0.3.0"
