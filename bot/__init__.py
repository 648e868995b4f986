"""hmisbot: LAHSA HMIS CES participation by email."""

__version__ = "0.1.0"
