"""Signed verdict attestations: the gate's verdict as an in-toto statement, and its check."""
