"""readiness.dora"""
