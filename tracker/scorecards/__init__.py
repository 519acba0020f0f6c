"""Department scorecards: monthly rollups of cases and flags, and the figures computed from them."""
