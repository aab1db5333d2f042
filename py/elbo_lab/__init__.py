"""ELBO Lab: the Python core of an interactive explainer of VAEs and the ELBO.

Every number and figure on the page is computed by this package, natively in the
tests and inside Pyodide in the reader's browser. ``widgets`` is the only module
the page calls.
"""

__version__ = "0.1.0"
