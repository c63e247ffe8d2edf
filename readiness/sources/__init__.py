"""readiness.sources"""
