# A package, so that this folder's conftest.py is `web.conftest` and never shadows the suite's `conftest` module
# (tests elsewhere import from it by that name).
