"""Read-only questions asked of the catalogue (statistics; search comes with the website)."""
