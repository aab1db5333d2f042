"""The same VAE in PyTorch, as a reference for speed and for the -ELBO reached.

Same architecture as the numpy model it is built from (the default is
784-128-2: 28 x 28 binary pixels, 128 hidden units, 2 latent dimensions) and
the same activation (ReLU by default), same parameter names and layout as
``elbo_lab.vae.VAE`` (weights (in, out), so they copy across unchanged), same
Bernoulli likelihood on the binarised MNIST pixels (1 where the grey level is
> 0.5; ``F.binary_cross_entropy_with_logits``, which equals
``-(x l - softplus(l))``), same KL, Adam. Not part of the package; needs
``pip install torch==2.13.0``. Used by ``bench/bench_vae_native.py`` and by
``tests/unit/test_torch_reference.py``.
"""

import numpy as np
import torch
import torch.nn.functional as F

from elbo_lab import vae

__all__ = ["TorchVAE", "neg_elbo", "train_like_numpy"]


class TorchVAE(torch.nn.Module):
    """The VAE with parameters named and shaped as in ``elbo_lab.vae.VAE``, copied from one."""

    def __init__(self, np_model, dtype=torch.float32):
        super().__init__()
        self.sizes = (np_model.x_dim, np_model.hidden, np_model.z_dim)
        self.act = torch.tanh if np_model.activation.name == "tanh" else torch.relu
        self.p = torch.nn.ParameterDict({
            name: torch.nn.Parameter(torch.tensor(np.array(a, np.float64), dtype=dtype))
            for name, a in np_model.params.items()
        })

    def terms(self, x, eps):
        """Mean recon and kl over the batch, in nats per example (tensors).

        x: binary (N, x_dim), 784 pixels by default; eps: (N, z_dim)."""
        p = self.p
        h1 = self.act(x @ p["W1"] + p["b1"])
        mu = h1 @ p["W_mu"] + p["b_mu"]
        log_var = h1 @ p["W_logvar"] + p["b_logvar"]
        z = mu + torch.exp(0.5 * log_var) * eps
        logits = self.act(z @ p["W2"] + p["b2"]) @ p["W3"] + p["b3"]
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1).mean()
        kl = 0.5 * (mu * mu + log_var.exp() - 1.0 - log_var).sum(1).mean()
        return recon, kl

    def to_numpy(self):
        """A float64 ``elbo_lab.vae.VAE`` of the same sizes holding these weights."""
        model = vae.VAE(*self.sizes, activation="tanh" if self.act is torch.tanh else "relu")
        for name, a in model.params.items():
            a[...] = self.p[name].detach().double().numpy()
        return model


def neg_elbo(tmodel, X, eps_draws):
    """Mean test -ELBO over the rows of X and the given eps draws, computed in torch."""
    dtype = next(tmodel.parameters()).dtype
    x = torch.tensor(X, dtype=dtype)
    with torch.no_grad():
        total = 0.0
        for eps in eps_draws:
            recon, kl = tmodel.terms(x, torch.tensor(eps, dtype=dtype))
            total += float(recon + kl)
    return total / len(eps_draws)


def train_like_numpy(tmodel, X, epochs, batch_size=128, lr=1e-3, beta=1.0, seed=0,
                     adam_kwargs=None):
    """Train exactly as ``training.train`` does: the same shuffles and eps, from the same
    ``np.random.default_rng(seed)`` stream. Yields the epoch number after each epoch."""
    dtype = next(tmodel.parameters()).dtype
    opt = torch.optim.Adam(tmodel.parameters(), lr=lr, **(adam_kwargs or {}))
    rng = np.random.default_rng(seed)
    X_t = torch.tensor(X, dtype=dtype)
    N, Z = X.shape[0], tmodel.sizes[2]
    for epoch in range(1, epochs + 1):
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            idx = torch.from_numpy(order[start : start + batch_size])
            eps = torch.tensor(rng.standard_normal((len(idx), Z)), dtype=dtype)
            opt.zero_grad()
            recon, kl = tmodel.terms(X_t[idx], eps)
            (recon + beta * kl).backward()
            opt.step()
        yield epoch
