"""HTTP blueprints: parse the request, call the logic, shape the response."""
