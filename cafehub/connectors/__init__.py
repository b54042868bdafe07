"""Connectors to Cafe24's Admin API and to the Sellmate warehouse system."""
