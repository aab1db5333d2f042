"""Native tests: numpy, scipy, matplotlib and pytest alone (no browser, no mirror).

Importing ``elbo_lab.plotting.agg`` installs the drawing backend, as the worker
does once matplotlib has loaded: every figure then answers with its image.
"""

import pytest

import elbo_lab.plotting.agg  # noqa: F401 - the import installs the Agg backend
from elbo_lab import data, layers, plotting, session


@pytest.fixture(autouse=True, scope="module")
def fresh_state_between_modules():
    """Each module starts and ends with the light theme and a default lab run."""
    plotting.set_theme("light")
    yield
    plotting.set_theme("light")
    session.reset()


@pytest.fixture(autouse=True)
def numpy_backend():
    """Every test starts and ends with numpy's matmul (a test may switch to BLAS inside)."""
    layers.set_matmul_backend("numpy")
    yield
    layers.set_matmul_backend("numpy")


@pytest.fixture(scope="session")
def digits():
    """The bundled digits: (X_train, y_train, X_test, y_test)."""
    return data.load_split()
