from tests.window.conftest import make_window

__all__ = ["make_window"]
