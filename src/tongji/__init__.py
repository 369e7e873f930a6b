"""tongji: traceable economic figures from Chinese regional news and government reports."""
from .figures import Figure
from .pipeline import extract

__version__ = "0.1.0"
__all__ = ["extract", "Figure", "__version__"]
