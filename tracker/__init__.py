"""The supervision and power-list transparency tracker."""
