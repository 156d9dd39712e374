"""Humdrum **kern: corpus preparation (and, later, grammar-constrained sampling)."""
