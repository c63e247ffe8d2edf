"""readiness.rules"""
