"""Report data → DOCX / XLSX / PDF renderers and charts (the review-meeting pack; planned)."""
