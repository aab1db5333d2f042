"""The toy model z ~ N(0, 1), x | z ~ N(z**2, s**2): its exact posterior, and best Gaussians.

``model.py``: the model, its evidence by quadrature, the posterior, and the ELBO of a
Gaussian q in closed form. ``fits.py``: the best Gaussian for the beta-weighted
objective, and the reverse- and forward-KL fits. Everything is importable from here.
"""

from .fits import beta_optimum, fit_forward_kl, fit_reverse_kl
from .model import (
    DEFAULT_S,
    beta_checked,
    elbo,
    elbo_grad,
    elbo_terms,
    entropy,
    expected_log_joint,
    expected_log_likelihood,
    forward_kl,
    jensen_exact,
    jensen_monte_carlo,
    kl_to_posterior,
    log_evidence,
    log_joint,
    log_posterior,
    posterior_grid,
    posterior_moments,
    posterior_pdf,
    posterior_range,
    s_checked,
)

__all__ = [
    "DEFAULT_S", "beta_checked", "beta_optimum", "elbo", "elbo_grad", "elbo_terms", "entropy",
    "expected_log_joint", "expected_log_likelihood", "fit_forward_kl", "fit_reverse_kl",
    "forward_kl", "jensen_exact", "jensen_monte_carlo", "kl_to_posterior", "log_evidence",
    "log_joint", "log_posterior", "posterior_grid", "posterior_moments", "posterior_pdf",
    "posterior_range", "s_checked",
]
