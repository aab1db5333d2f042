"""scipy's BLAS matrix products for ``layers.matmul``: importing this module installs them.

scipy takes seconds to load in the browser, so the page imports this module only
when the reader first presses Train; natively it is cheap. After the import,
``layers.set_matmul_backend("blas")`` multiplies with dgemm (float64) and sgemm
(float32), about twice as fast as numpy's ``@`` inside Pyodide for the VAE's shapes.
"""

import numpy as np
from scipy.linalg.blas import dgemm, sgemm

from . import layers

__all__ = []

layers.install_gemm({np.float64: dgemm, np.float32: sgemm})
