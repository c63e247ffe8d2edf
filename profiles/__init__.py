"""Bundled profiles (YAML), shipped inside the package."""
