"""Spreadsheet exports shared by every page that offers a download."""
