"""readiness.report"""
