"""kcna-dataset: validate, deduplicate and publish a corpus of North Korean state media."""

from importlib.metadata import version as _version

__version__ = _version("kcna-dataset")

from kcna_dataset.loading import load

__all__ = ["__version__", "load"]
