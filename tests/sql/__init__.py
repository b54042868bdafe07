"""Predicates of the SQL backend and its runners."""
