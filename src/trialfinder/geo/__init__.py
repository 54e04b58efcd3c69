"""Offline geography: a gazetteer of cities and US ZIP codes, for sites without coordinates and for what people type."""
