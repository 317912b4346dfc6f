"""API routes, one module per noun (the same nouns as services/ and web/routes/)."""
