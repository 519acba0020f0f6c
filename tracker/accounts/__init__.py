"""Users, roles, sign-in sessions, CSRF, API tokens and department scoping."""
