"""Departments' power lists (权力清单): the model and spreadsheet reading and writing.

Imports nothing from ``tracker`` or ``scheduler``.
"""
