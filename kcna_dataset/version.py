"""The tool's version: a leaf module (the package, the cache key and the release manifest read
it), read statically by setuptools for the package metadata."""

__version__ = "0.1.0"
