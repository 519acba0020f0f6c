"""Everything that knows HTTP: middleware, controllers, templates, error pages."""
