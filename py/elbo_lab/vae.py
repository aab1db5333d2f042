"""A tiny variational autoencoder in numpy, with hand-written backprop.

Model (defaults: 784 = 28 x 28 pixels, 128 hidden units, 2 latent dimensions):

    encoder   h1 = act(x W1 + b1)
              mu = h1 W_mu + b_mu,  log_var = h1 W_logvar + b_logvar
    sample    z = mu + exp(log_var / 2) * eps,  eps ~ N(0, I) passed in
    decoder   h2 = act(z W2 + b2)
              logits = h2 W3 + b3,  p = sigmoid(logits)
    data      x ~ Bernoulli(p), one binary pixel each

act is ReLU by default (tanh on request). The pixels x are 0 or 1: the MNIST
digits binarised at half ink, x = 1 where the grey level is > 0.5 (``data.py``).

Loss per example, in nats (see ``losses.py``):

    recon = -log p(x | z) = -sum_i [x_i logit_i - softplus(logit_i)]   (Bernoulli)
    kl    = KL(N(mu, diag(exp(log_var))) || N(0, I))
    loss  = recon + beta * kl                  (beta = 1: the negative ELBO)

``loss_and_grads`` reports the means over the batch, layer by layer: it is what
the gradient checks test. ``fused_grads`` computes the same numbers without
allocating, for training (``training.py``). Randomness enters only as an
explicit ``eps``. The importance-sampled log p(x) is in ``importance.py``.
``save_weights``, ``load_weights`` and ``load_pretrained`` write and read models
(the page's two pretrained ones are written by ``scripts/pretrain.py``).
"""

import json
import math
import pathlib

import numpy as np

from .checks import ParamError, binary_images, choice, in_range, matrix, whole
from .gaussian import kl_diag_terms
from .layers import (
    ACTIVATIONS,
    activation_backward,
    activation_forward,
    affine_backward,
    affine_forward,
    matmul,
    reparam_backward,
    reparam_forward,
)
from .losses import (
    bernoulli_nll_backward,
    bernoulli_nll_forward,
    gaussian_kl_backward,
    gaussian_kl_forward,
    sigmoid,
)

__all__ = ["PRETRAINED", "VAE", "load_pretrained", "load_weights", "save_weights"]

_HERE = pathlib.Path(__file__).resolve().parent
PRETRAINED = ("beta1", "beta4")  # names accepted by load_pretrained


def _noise(eps, n, z_dim):
    """eps checked: (n, z_dim) finite numbers, else ParamError."""
    eps = matrix("eps", eps, z_dim, "one standard-normal draw per example and latent dimension")
    if eps.shape[0] != n:
        raise ParamError("eps", f"eps has {eps.shape[0]} rows but x has {n}; they must match")
    return eps


class VAE:
    """A VAE with one hidden layer in the encoder and one in the decoder.

    x_dim: binary pixels per image (784). hidden: hidden units (128). z_dim:
    latent size (2). seed: seeds the initial weights. activation: "relu" (the
    default) or "tanh". dtype: np.float64 (the default; gradient checks need
    it) or np.float32 (about twice as fast to train, same initial weights up to
    rounding).

    ``params`` maps names to arrays of ``dtype``; an optimiser updates them in
    place. They are views into one flat vector, ``flat``, which lets Adam update
    them all at once. Weights start Glorot-uniform, biases at zero, whatever
    the activation. (He-uniform for the two layers feeding a ReLU was tried on
    the digits and ended 0.06 nats worse in test -ELBO after 200 epochs, mean
    of 3 seeds.)
    """

    def __init__(self, x_dim=784, hidden=128, z_dim=2, seed=0, *, activation="relu",
                 dtype=np.float64):
        self.x_dim = whole("x_dim", x_dim, 1)
        self.hidden = whole("hidden", hidden, 1)
        self.z_dim = whole("z_dim", z_dim, 1)
        self.activation = ACTIVATIONS[choice("activation", activation, tuple(ACTIVATIONS))]
        if np.dtype(dtype) not in (np.float64, np.float32):
            raise ParamError("dtype", f"dtype must be np.float64 or np.float32, got {dtype!r}")
        self.dtype = np.dtype(dtype)
        self.seed = seed
        D, H, Z = self.x_dim, self.hidden, self.z_dim
        self.shapes = {
            "W1": (D, H), "b1": (H,),  # encoder hidden layer
            "W_mu": (H, Z), "b_mu": (Z,),  # encoder head: mean
            "W_logvar": (H, Z), "b_logvar": (Z,),  # encoder head: log variance
            "W2": (Z, H), "b2": (H,),  # decoder hidden layer
            "W3": (H, D), "b3": (D,),  # decoder output logits
        }
        self.flat = np.zeros(sum(math.prod(s) for s in self.shapes.values()), self.dtype)
        self.params = self._views(self.flat)
        rng = np.random.default_rng(seed)
        for name, shape in self.shapes.items():
            if name.startswith("W"):
                fan_in, fan_out = shape
                limit = math.sqrt(6.0 / (fan_in + fan_out))  # Glorot-uniform
                self.params[name][...] = rng.uniform(-limit, limit, size=shape)
        # for fused_grads: gradients in one flat buffer laid out as ``flat`` (``grads``
        # holds views into it, so Adam updates all at once), and per-batch-size work
        # arrays; both reused on every step (loss_and_grads returns new arrays instead)
        self._grad_flat = np.zeros_like(self.flat)
        self.grads = self._views(self._grad_flat)
        self._part = None  # fused_grads(add=True): (a piece's gradients, flat, and their views)
        self._workspaces = {}

    def _views(self, flat):
        views, start = {}, 0
        for name, shape in self.shapes.items():
            size = math.prod(shape)
            views[name] = flat[start : start + size].reshape(shape)
            start += size
        return views

    def __repr__(self):
        return (f"VAE(x_dim={self.x_dim}, hidden={self.hidden}, z_dim={self.z_dim}, "
                f"activation={self.activation.name!r}, dtype=np.{self.dtype.name})")

    # -- forward and backward --------------------------------------------------

    def _forward(self, x, eps, beta):
        """The loss and every cache the backward pass needs. x: (N, D), eps: (N, Z)."""
        P, act = self.params, self.activation
        a1, c_a1 = affine_forward(x, P["W1"], P["b1"])  # encoder pre-activation (N, H)
        h1, c_h1 = activation_forward(a1, act)  # encoder hidden (N, H)
        mu, c_mu = affine_forward(h1, P["W_mu"], P["b_mu"])  # posterior mean (N, Z)
        log_var, c_lv = affine_forward(h1, P["W_logvar"], P["b_logvar"])  # posterior log variance
        z, c_z = reparam_forward(mu, log_var, eps)  # latent sample (N, Z)
        a2, c_a2 = affine_forward(z, P["W2"], P["b2"])  # decoder pre-activation (N, H)
        h2, c_h2 = activation_forward(a2, act)  # decoder hidden (N, H)
        logits, c_logits = affine_forward(h2, P["W3"], P["b3"])  # pixel logits (N, D)
        recon, c_recon = bernoulli_nll_forward(logits, x)  # -log p(x|z), nats
        kl, c_kl = gaussian_kl_forward(mu, log_var)  # KL(q(z|x) || p(z)), nats
        loss = recon + beta * kl
        stats = {"loss": loss, "recon": recon, "kl": kl}
        caches = (c_a1, c_h1, c_mu, c_lv, c_z, c_a2, c_h2, c_logits, c_recon, c_kl)
        return stats, caches

    def _backward(self, caches, beta):
        """Backpropagate loss = recon + beta * kl. Returns a dict of new gradient arrays."""
        c_a1, c_h1, c_mu, c_lv, c_z, c_a2, c_h2, c_logits, c_recon, c_kl = caches
        dlogits = bernoulli_nll_backward(1.0, c_recon)  # (N, D)
        dh2, dW3, db3 = affine_backward(dlogits, c_logits)
        da2 = activation_backward(dh2, c_h2)
        dz, dW2, db2 = affine_backward(da2, c_a2)
        dmu, dlog_var = reparam_backward(dz, c_z)  # through the reconstruction
        dmu_kl, dlog_var_kl = gaussian_kl_backward(beta, c_kl)  # through the KL
        dmu += dmu_kl  # mu and log_var feed both terms: their gradients add
        dlog_var += dlog_var_kl
        dh1, dW_mu, db_mu = affine_backward(dmu, c_mu)
        dh1_lv, dW_logvar, db_logvar = affine_backward(dlog_var, c_lv)
        dh1 += dh1_lv  # h1 feeds both heads
        da1 = activation_backward(dh1, c_h1)
        _, dW1, db1 = affine_backward(da1, c_a1, input_grad=False)  # no gradient for the data
        return {"W1": dW1, "b1": db1, "W_mu": dW_mu, "b_mu": db_mu,
                "W_logvar": dW_logvar, "b_logvar": db_logvar,
                "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}

    def loss_and_grads(self, x, eps, beta=1.0):
        """Loss and gradients for a batch at a fixed noise draw.

        x: (N, x_dim) binary pixels, each 0 or 1. eps: (N, z_dim) standard normal.
        beta >= 0 weights the KL term.

        Returns ``(stats, grads)``. stats: python floats "loss" (= recon + beta * kl),
        "recon" and "kl", each the mean per example in nats. grads: new arrays,
        same keys and shapes as ``params``, the gradient of stats["loss"].
        """
        x, eps, beta = self._checked(x, eps, beta)
        stats, caches = self._forward(x, eps, beta)
        grads = self._backward(caches, beta)
        return stats, grads

    def loss(self, x, eps, beta=1.0):
        """stats only: like ``loss_and_grads`` without the backward pass."""
        return self._forward(*self._checked(x, eps, beta))[0]

    def _checked(self, x, eps, beta):
        """x and eps in the model's dtype, beta a float: each checked, else ParamError."""
        x = binary_images(x, self.x_dim).astype(self.dtype, copy=False)
        eps = _noise(eps, x.shape[0], self.z_dim).astype(self.dtype, copy=False)
        return x, eps, in_range("beta", beta, 0.0)

    # -- encoder and decoder ---------------------------------------------------

    def encode(self, x):
        """The approximate posterior q(z|x) = N(mu, diag(exp(log_var))).

        x: (N, x_dim) pixels (any finite numbers are encoded; the model was
        trained on binary ones). Returns ``(mu, log_var)``, each (N, z_dim), in the
        model's dtype.
        """
        x = matrix("x", x, self.x_dim, f"one image of {self.x_dim} pixels per row")
        P = self.params
        h1 = self.activation.output(matmul(x.astype(self.dtype, copy=False), P["W1"]) + P["b1"])
        mu = matmul(h1, P["W_mu"]) + P["b_mu"]
        log_var = matmul(h1, P["W_logvar"]) + P["b_logvar"]
        return mu, log_var

    def decode_logits(self, z):
        """The decoder's logits (N, x_dim), in the model's dtype, at latent points z (N, z_dim)."""
        z = matrix("z", z, self.z_dim, f"one latent point of {self.z_dim} numbers per row")
        P = self.params
        h2 = self.activation.output(matmul(z.astype(self.dtype, copy=False), P["W2"]) + P["b2"])
        return matmul(h2, P["W3"]) + P["b3"]

    def decode(self, z):
        """The decoder's mean image: p = sigmoid(logits), (N, x_dim) in [0, 1].

        z: (N, z_dim). p is each pixel's probability of being inked: the mean
        of x under Bernoulli(p).
        """
        return sigmoid(self.decode_logits(z))

    def as_float64(self):
        """This model if it is float64, else a float64 copy of its weights."""
        if self.dtype == np.float64:
            return self
        twin = VAE(self.x_dim, self.hidden, self.z_dim, seed=0,
                   activation=self.activation.name, dtype=np.float64)
        twin.flat[...] = self.flat
        return twin

    # -- the training step, fused ------------------------------------------------

    def _workspace(self, N):
        """Work arrays for a batch of N, made once and reused (at most 4 sizes kept)."""
        ws = self._workspaces.get(N)
        if ws is None:
            if len(self._workspaces) >= 4:
                self._workspaces.clear()
            H, D, dt = self.hidden, self.x_dim, self.dtype
            ws = {"h1": np.empty((N, H), dt), "h2": np.empty((N, H), dt),
                  "nh_a": np.empty((N, H), dt), "nh_b": np.empty((N, H), dt),
                  "logits": np.empty((N, D), dt),
                  "nd_a": np.empty((N, D), dt), "nd_b": np.empty((N, D), dt)}
            self._workspaces[N] = ws
        return ws

    def fused_grads(self, x, eps, beta, *, n=None, add=False):
        """``loss_and_grads`` in one pass that allocates no big arrays. Returns the stats.

        x: (N, x_dim) binary pixels and eps: (N, z_dim), both of the model's dtype, and
        beta >= 0: unchecked, for the training loop. The same arithmetic as the
        layer-by-layer code (a test checks they agree), but every (N, hidden) and
        (N, x_dim) array lives in a work buffer reused from step to step, and the
        weight gradients are written into ``self.grads``. Fresh big arrays on every
        step cost page faults natively and garbage in the browser.

        A batch can also be taken in pieces (the training lab does, so that no unit of
        its work is long): n is then the whole batch's size (default N), the stats and
        gradients are this piece's share of the batch's means (sums over its rows / n),
        and add=True adds the gradients to ``self.grads`` instead of replacing them.
        The shares of all the pieces sum to the batch's stats and gradients.
        """
        P, act = self.params, self.activation
        if add:
            if self._part is None:
                part = np.empty_like(self.flat)
                self._part = (part, self._views(part))
            grads = self._part[1]
        else:
            grads = self.grads
        N = x.shape[0] if n is None else n
        ws = self._workspace(x.shape[0])
        # forward: encoder
        h1 = matmul(x, P["W1"], out=ws["h1"])
        h1 += P["b1"]
        act.output(h1, out=h1)  # encoder hidden (N, H)
        mu = matmul(h1, P["W_mu"])
        mu += P["b_mu"]  # (N, Z)
        log_var = matmul(h1, P["W_logvar"])
        log_var += P["b_logvar"]  # (N, Z)
        std = np.exp(0.5 * log_var)
        z = mu + std * eps  # reparameterised sample (N, Z)
        # forward: decoder
        h2 = matmul(z, P["W2"], out=ws["h2"])
        h2 += P["b2"]
        act.output(h2, out=h2)  # decoder hidden (N, H)
        logits = matmul(h2, P["W3"], out=ws["logits"])
        logits += P["b3"]  # (N, D)
        # losses: recon = -(1/N) sum [x l - softplus(l)]
        t = np.abs(logits, out=ws["nd_a"])
        np.negative(t, out=t)
        np.exp(t, out=t)
        np.log1p(t, out=t)  # log1p(e^-|l|)
        sum_softplus = t.sum() + np.maximum(logits, 0.0, out=ws["nd_b"]).sum()
        recon = -(np.vdot(x, logits) - sum_softplus) / N
        var = std * std
        kl = kl_diag_terms(mu, log_var, var).sum() / N
        # backward: decoder
        dlogits = sigmoid(logits, out=ws["nd_a"])
        dlogits -= x
        dlogits *= 1.0 / N  # (p - x) / N
        matmul(h2, dlogits, trans_a=True, out=grads["W3"])
        np.sum(dlogits, axis=0, out=grads["b3"])
        dh2 = matmul(dlogits, P["W3"], trans_b=True, out=ws["nh_a"])
        da2 = dh2
        da2 *= act.der(h2, out=ws["nh_b"])
        matmul(z, da2, trans_a=True, out=grads["W2"])
        np.sum(da2, axis=0, out=grads["b2"])
        dz = matmul(da2, P["W2"], trans_b=True)  # (N, Z)
        # backward: reparameterisation plus KL (both feed mu and log_var)
        dmu = dz + (beta / N) * mu
        dlog_var = dz * eps * (0.5 * std) + (0.5 * beta / N) * (var - 1.0)
        # backward: encoder heads and hidden layer
        matmul(h1, dmu, trans_a=True, out=grads["W_mu"])
        np.sum(dmu, axis=0, out=grads["b_mu"])
        matmul(h1, dlog_var, trans_a=True, out=grads["W_logvar"])
        np.sum(dlog_var, axis=0, out=grads["b_logvar"])
        dh1 = matmul(dmu, P["W_mu"], trans_b=True, out=ws["nh_a"])
        dh1 += matmul(dlog_var, P["W_logvar"], trans_b=True, out=ws["nh_b"])
        da1 = dh1
        da1 *= act.der(h1, out=ws["nh_b"])
        matmul(x, da1, trans_a=True, out=grads["W1"])
        np.sum(da1, axis=0, out=grads["b1"])
        if add:
            self._grad_flat += self._part[0]
        recon, kl = float(recon), float(kl)
        return {"loss": recon + beta * kl, "recon": recon, "kl": kl}


def save_weights(vae, path, meta=None, dtype=np.float32):
    """Write ``vae`` to an .npz: its params (as ``dtype``), its sizes and ``meta``.

    meta: a JSON-safe dict (e.g. how it was trained and its test -ELBO).
    """
    config = {"x_dim": vae.x_dim, "hidden": vae.hidden, "z_dim": vae.z_dim,
              "activation": vae.activation.name}
    arrays = {name: p.astype(dtype) for name, p in vae.params.items()}
    np.savez_compressed(path, config=np.array(json.dumps(config, sort_keys=True)),
                        meta=np.array(json.dumps(meta or {}, sort_keys=True)), **arrays)


def load_weights(path, dtype=np.float64):
    """Read a file written by ``save_weights``. Returns ``(vae, meta)``.

    The params are converted to ``dtype`` (float64 by default).
    """
    with np.load(path, allow_pickle=False) as f:
        config = json.loads(str(f["config"]))
        meta = json.loads(str(f["meta"]))
        vae = VAE(config["x_dim"], config["hidden"], config["z_dim"], seed=0,
                  activation=config["activation"], dtype=dtype)
        for name, p in vae.params.items():
            p[...] = f[name]
    return vae, meta


def load_pretrained(name="beta1", dtype=np.float64):
    """A new copy of a VAE trained on the MNIST digits by ``scripts/pretrain.py``.

    name: one of ``PRETRAINED``: "beta1" (beta = 1) or "beta4" (beta = 4).
    The training settings and the recorded test scores are in ``vae.meta``.
    """
    name = choice("name", name, PRETRAINED)
    vae, meta = load_weights(_HERE / f"pretrained_{name}.npz", dtype=dtype)
    vae.meta = meta
    return vae
