"""Everything deployed besides app.py."""
