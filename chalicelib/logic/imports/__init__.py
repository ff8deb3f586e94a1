"""Bulk import of donations from other channels (bank transfers, offline events,
partner platforms, matching funds): file readers, row validation, the worker."""
