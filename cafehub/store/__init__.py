"""The canonical store: the seven tables segments run over, on any supported engine."""
