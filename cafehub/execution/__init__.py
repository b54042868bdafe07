"""Running compiled segments against stores: SQL on an engine, predicates over loaded rows."""
