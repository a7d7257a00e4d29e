from .loading import StrictLoadImageFromFile

__all__ = ['StrictLoadImageFromFile']
