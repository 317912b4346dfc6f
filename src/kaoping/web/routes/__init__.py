"""Dashboard pages, one module per noun (the same nouns as services/ and api/routes/)."""
