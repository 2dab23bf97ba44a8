"""Semantic analysis: name and type resolution, stream/table rules, statement validity."""
