"""The training lab: the reader trains the numpy VAE on the 8x8 digits, live.

The browser's worker holds one training session, ``_lab`` (a ``Lab``), made
with the default settings on first use. It calls ``reset(**settings)`` to start
a run and ``advance(ms=15)`` again and again to train it a few milliseconds at
a time, between the reader's own calls (through ``control(action, params)``,
which returns errors as ``{"error": message}``); the lab's figures are widgets
(``lab_curves``, ``lab_latent``, ``lab_recon``, ``lab_units``,
``lab_posterior``; registered in ``widgets.WIDGETS``) that draw the current
session and cache on its ``version``.

The run. ``vae.VAE(64, 256, z_dim, seed=seed, dtype=np.float32)`` trained by
``vae.train(..., batch_size=128, lr, beta, seed, warmup_epochs=warmup,
yield_steps=True)`` on the 1,437 training digits: 12 Adam steps per epoch.
Chunks end between optimiser steps, so the same settings give the same run,
bit for bit, however it is chunked (a test checks). The generator is made for
``EPOCHS_MAX`` epochs and stopped at the target (its length changes no number),
so the target can be raised or lowered mid-run (``set_epochs``).

Curves. Each epoch's record from ``vae.train`` (training means and the test set
at one fixed eps draw), plus one at epoch 0 for the untrained model. On a
schedule (``evaluation_due``), ``evaluate_subset`` estimates log p(x) by
importance sampling (IWAE, k = 64) on 100 fixed test digits and, from the same
samples, the ELBO. Measured natively (2 cores, float32, numpy matmul, whole
150- and 600-epoch runs in 15 ms chunks): one evaluation takes 5-6 ms and one
epoch 6-10 ms, so evaluating at epochs 1, 2 and 5 and then every 10th epoch costs
7-10% of the training time (``evaluation_due``).

Settings (``settings_defaults``; a bad value raises ValueError whose message
starts with the setting's name and a space, so the page can mark the control):
beta in [0, 8]; lr in [0.0001, 0.02]; warmup, whole epochs in [0, 300]; z_dim
one of 2, 3, 4, 8, 16; seed, whole in [0, 99999]; epochs, whole in [1, 2000].

Everything returned is plain JSON-safe data (python floats, ints, strs, bools,
lists, dicts), except images, which are ``figures`` images (width x height:
lab_curves 640 x 320, lab_latent 640 x 360, lab_recon 640 x 320, lab_units
640 x 260, lab_posterior 640 x 320). Natively, with new weights, a widget takes
2-9 ms (lab_posterior: about 75 ms, two thirds of it the grids); with the same
weights it returns its cached answer.
"""

import math
import numbers
import sys
import time

import numpy as np

from . import data, vae
from .losses import bernoulli_log_pmf, sigmoid

__all__ = [
    "BATCH_SIZE",
    "EPOCHS_MAX",
    "EVAL_K",
    "PRESETS",
    "Lab",
    "advance",
    "control",
    "current",
    "evaluate_subset",
    "evaluation_due",
    "lab_curves",
    "lab_latent",
    "lab_posterior",
    "lab_recon",
    "lab_units",
    "preset",
    "reset",
    "set_epochs",
    "settings_defaults",
    "status",
    "subset_indices",
    "true_posterior",
]

BATCH_SIZE = 128
EPOCHS_MAX = 2000
EVAL_K = 64  # importance samples per digit in the periodic evaluation
ACTIVE_VARIANCE = 0.01  # a unit is active if Var_x E_q[z_d | x] exceeds this (Burda et al. 2016)
_LOG_2PI = math.log(2.0 * math.pi)

# name -> (kind, lo, hi, default); kind "real", "whole", or a tuple of allowed whole numbers
_SETTINGS = {
    "beta": ("real", 0.0, 8.0, 1.0),
    "lr": ("real", 0.0001, 0.02, 0.001),
    "warmup": ("whole", 0, 300, 0),
    "z_dim": ((2, 3, 4, 8, 16), 2, 16, 2),
    "seed": ("whole", 0, 99999, 0),
    "epochs": ("whole", 1, EPOCHS_MAX, 150),
}


def settings_defaults():
    """The default settings: a dict of the six, {"beta": 1.0, "lr": 0.001, ...}."""
    return {name: spec[3] for name, spec in _SETTINGS.items()}


PRESETS = {
    "default": {
        "settings": settings_defaults(),
        "label": "Default: β = 1",
        "note": ("The plain VAE: β = 1, no warm-up. Both latent dimensions stay in use and "
                 "the test −ELBO falls from 44.5 nats to about 21 in 150 epochs."),
    },
    "collapse": {
        "settings": {"beta": 5.0, "lr": 0.003, "warmup": 0, "z_dim": 2, "seed": 0, "epochs": 150},
        "label": "Posterior collapse: β = 5",
        "note": ("With β = 5 the KL term wins: q(z|x) becomes the prior for every digit, the KL "
                 "falls to 0.00 nats and no unit stays active. At β = 5 this is the optimum, "
                 "so warm-up cannot prevent it."),
    },
    "partial": {
        "settings": {"beta": 4.0, "lr": 0.01, "warmup": 0, "z_dim": 2, "seed": 1, "epochs": 150},
        "label": "β = 4, no warm-up",
        "note": ("At β = 4 without warm-up one latent dimension collapses onto the prior early "
                 "and does not recover: 1 of 2 units active, a KL of about 0.1 nats."),
    },
    "warmup": {
        "settings": {"beta": 4.0, "lr": 0.01, "warmup": 50, "z_dim": 2, "seed": 1, "epochs": 150},
        "label": "β = 4 with warm-up",
        "note": ("The same run with the KL weight ramped up over 50 epochs: the decoder learns "
                 "to use both dimensions before the KL bites, and both stay active (KL about "
                 "0.3 nats)."),
    },
}


# ---------------------------------------------------------------------------
# Checking settings
# ---------------------------------------------------------------------------


def _setting(name, value):
    """``value`` checked for setting ``name``: a float or an int, else ValueError "<name> ..."."""
    kind, lo, hi, _ = _SETTINGS[name]
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a number, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if kind == "real":
        if not lo <= number <= hi:
            raise ValueError(f"{name} must be between {lo:g} and {hi:g}, got {number:g}")
        return number
    if isinstance(kind, tuple):
        if number not in kind:
            allowed = ", ".join(str(v) for v in kind)
            raise ValueError(f"{name} must be one of {allowed}, got {number:g}")
        return int(number)
    if number != math.floor(number) or not lo <= number <= hi:
        raise ValueError(f"{name} must be a whole number from {lo} to {hi}, got {number:g}")
    return int(number)


def _check_settings(settings):
    return {name: _setting(name, settings[name]) for name in _SETTINGS}


# ---------------------------------------------------------------------------
# Data and the periodic evaluation
# ---------------------------------------------------------------------------

_DATA = {}


def _data():
    """(X_train, X_test (float32), y_test, subset index): loaded once."""
    if not _DATA:
        X_train, _, X_test, y_test = data.load_split()
        _DATA.update(X_train=X_train, X_test=X_test.astype(np.float32), y_test=y_test,
                     subset=subset_indices(y_test))
    return _DATA


def subset_indices(y_test, per_class=10):
    """Indices into the test set of the evaluation subset: the first ``per_class``
    digits of each class, in test-set order within a class, classes 0..9 in turn."""
    return np.concatenate([np.flatnonzero(y_test == c)[:per_class] for c in range(10)])


def evaluation_due(epoch):
    """Whether the subset is evaluated at the end of ``epoch``: 0, 1, 2, 5, then every 10th."""
    return epoch in (0, 1, 2, 5) or epoch % 10 == 0


def _log_weights(model, x, eps, chunk_rows=1024):
    """log p(x, z) - log q(z|x) at z = mu + sd * eps, in the model's dtype: (k, N) float64.

    x: (N, D) binary, the model's dtype; eps: (k, N, Z). The decoder runs on
    about ``chunk_rows`` latent points at a time, so memory stays small.
    """
    mu, log_var = model._encode(x)
    z = mu + np.exp(0.5 * log_var) * eps  # (k, N, Z) samples from q(z|x)
    k, N, Z = eps.shape
    log_pxz = np.empty((k, N), model.dtype)
    per = max(1, chunk_rows // N)
    for start in range(0, k, per):
        stop = min(k, start + per)
        logits = model._decode_logits(z[start:stop].reshape(-1, Z)).reshape(stop - start, N, -1)
        log_pxz[start:stop] = bernoulli_log_pmf(logits, x)  # log p(x|z), nats
    log_pz = -0.5 * (z * z + _LOG_2PI).sum(axis=-1)  # log N(z; 0, I)
    log_qz = -0.5 * (eps * eps + _LOG_2PI + log_var).sum(axis=-1)  # log q(z|x)
    return (log_pxz + log_pz - log_qz).astype(np.float64)


def _iwae_from_log_weights(log_w):
    """log mean_s w_s per column of (k, N) log weights, and its delta-method standard error."""
    k = log_w.shape[0]
    top = log_w.max(axis=0)
    w = np.exp(log_w - top)  # weights scaled by exp(-top): the ratio sd/mean is unchanged
    mean = w.mean(axis=0)
    se = w.std(axis=0, ddof=1) / (math.sqrt(k) * mean) if k > 1 else np.full_like(mean, np.inf)
    return np.log(mean) + top, se


def evaluate_subset(model, x, k, rng):
    """IWAE log p(x) and the ELBO, both from the same k samples of q(z|x) per digit.

    x: (N, 64) binary digits; k: samples per digit; rng: np.random.Generator
    (draws eps of shape (k, N, z_dim)). Computed in the model's dtype.
    Returns a dict of (N,) float64 arrays, nats: "log_px" = log mean_s w_s
    (IWAE), "elbo" = mean_s log w_s, "log_px_se" (delta method). By Jensen's
    inequality on the same samples, log_px >= elbo for every digit.
    """
    x = np.asarray(x, dtype=model.dtype)
    eps = rng.standard_normal((k, x.shape[0], model.z_dim)).astype(model.dtype, copy=False)
    log_w = _log_weights(model, x, eps)
    log_px, se = _iwae_from_log_weights(log_w)
    return {"log_px": log_px, "elbo": log_w.mean(axis=0), "log_px_se": se}


# ---------------------------------------------------------------------------
# One training session
# ---------------------------------------------------------------------------

_counter = {"version": 0, "run": 0}


def _next(key):
    _counter[key] += 1
    return _counter[key]


_RECORD_KEYS = ("recon", "kl", "neg_elbo", "test_recon", "test_kl", "test_neg_elbo", "beta")


class Lab:
    """One training run: the model, its generator, its history and evaluations.

    settings: a dict of the six checked settings. ``history``: one dict per
    completed epoch, from epoch 0 (the untrained model), with "epoch", "step",
    "beta", "recon", "kl", "loss", "neg_elbo" (training means; at epoch 0 one
    forward pass over the training set at a fixed eps) and "test_recon",
    "test_kl", "test_neg_elbo" (test set, one fixed eps). ``evaluations``: one
    dict per evaluated epoch: "epoch", "subset_log_px", "subset_elbo" (means
    over the 100 subset digits, nats) and "subset_log_px_se" (the standard
    error of that mean, delta method per digit).
    """

    def __init__(self, settings):
        self.settings = dict(settings)
        s = self.settings
        d = _data()
        self.model = vae.VAE(64, 256, s["z_dim"], seed=s["seed"], dtype=np.float32)
        self._steps = vae.train(self.model, d["X_train"], EPOCHS_MAX, batch_size=BATCH_SIZE,
                                lr=s["lr"], beta=s["beta"], seed=s["seed"],
                                warmup_epochs=s["warmup"], X_test=d["X_test"], yield_steps=True)
        self.steps_per_epoch = -(-d["X_train"].shape[0] // BATCH_SIZE)
        self.step = 0
        self.epoch = 0
        self.history = [self._epoch_zero()]
        self.evaluations = []
        self._evaluate()
        self.run = _next("run")
        self.version = _next("version")

    def _epoch_zero(self):
        """The untrained model's record, with the test eps that ``vae.train`` will use."""
        s, d, model = self.settings, _data(), self.model
        Z = model.z_dim
        # vae.train draws its test eps from the first child of default_rng(seed): the same here
        eps_test = np.random.default_rng(s["seed"]).spawn(1)[0].standard_normal(
            (d["X_test"].shape[0], Z)).astype(model.dtype)
        test, _ = model._forward(d["X_test"], eps_test, 1.0)
        X_train = d["X_train"].astype(model.dtype)
        eps = np.random.default_rng([s["seed"], 0]).standard_normal(
            (X_train.shape[0], Z)).astype(model.dtype)
        train, _ = model._forward(X_train, eps, 1.0)
        beta = 0.0 if s["warmup"] > 0 else s["beta"]
        recon, kl = float(train["recon"]), float(train["kl"])
        return {"step": 0, "epoch": 0, "beta": float(beta), "recon": recon, "kl": kl,
                "loss": recon + beta * kl, "neg_elbo": recon + kl,
                "test_recon": float(test["recon"]), "test_kl": float(test["kl"]),
                "test_neg_elbo": float(test["recon"]) + float(test["kl"])}

    def _evaluate(self):
        """Evaluate the subset at the current epoch; the rng depends only on (seed, epoch)."""
        d = _data()
        rng = np.random.default_rng([self.settings["seed"], self.epoch, 1])
        out = evaluate_subset(self.model, d["X_test"][d["subset"]], EVAL_K, rng)
        n = len(d["subset"])
        se = math.sqrt(float(np.sum(out["log_px_se"] ** 2))) / n
        self.evaluations.append({"epoch": self.epoch,
                                 "subset_log_px": float(np.mean(out["log_px"])),
                                 "subset_elbo": float(np.mean(out["elbo"])),
                                 "subset_log_px_se": se})

    @property
    def done(self):
        return self.epoch >= self.settings["epochs"]

    def advance(self, ms, max_steps=None):
        """Optimiser steps for about ``ms`` ms of wall time: at least one, unless done.

        Stops early at the target epochs or after ``max_steps`` steps. An epoch's
        record, and its evaluation when due, belong to the step that ends it.
        Returns the number of steps taken.
        """
        deadline = time.perf_counter() + ms / 1000.0
        taken = 0
        while not self.done:
            record = next(self._steps)
            self.step += 1
            taken += 1
            if record is not None:
                self.epoch = record["epoch"]
                self.history.append({key: (int(v) if key in ("step", "epoch") else float(v))
                                     for key, v in record.items()})
                if evaluation_due(self.epoch):
                    self._evaluate()
            if max_steps is not None and taken >= max_steps:
                break
            if time.perf_counter() >= deadline:
                break
        if taken:
            self.version = _next("version")
        return taken

    def status(self):
        latest = None
        if self.epoch > 0:
            record = self.history[-1]
            latest = {key: float(record[key]) for key in _RECORD_KEYS}
        return {"step": int(self.step), "epoch": int(self.epoch),
                "epochs": int(self.settings["epochs"]),
                "steps_per_epoch": int(self.steps_per_epoch), "done": bool(self.done),
                "settings": dict(self.settings), "version": int(self.version),
                "run": int(self.run), "latest": latest}


_lab = None


def current():
    """The current session, made with the default settings on first use."""
    global _lab
    if _lab is None:
        _lab = Lab(settings_defaults())
    return _lab


def reset(beta=1.0, lr=0.001, warmup=0, z_dim=2, seed=0, epochs=150):
    """Start a fresh run with these settings (checked) and make it current. Returns status."""
    global _lab
    settings = _check_settings({"beta": beta, "lr": lr, "warmup": warmup, "z_dim": z_dim,
                                "seed": seed, "epochs": epochs})
    _lab = Lab(settings)
    return _lab.status()


def preset(name):
    """Start a fresh run with the settings of ``PRESETS[name]``. Returns status."""
    if not isinstance(name, str) or name not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {name!r}")
    return reset(**PRESETS[name]["settings"])


def advance(ms=15.0, max_steps=None):
    """Train the current run for about ``ms`` milliseconds (at least one step unless done).

    ms: a finite number in [0, 60000]. max_steps: None, or a whole number >= 1
    to stop after that many steps. Returns status.
    """
    if isinstance(ms, (bool, np.bool_)) or not isinstance(ms, numbers.Real) \
            or not math.isfinite(ms) or not 0 <= ms <= 60000:
        raise ValueError(f"ms must be a number of milliseconds from 0 to 60000, got {ms!r}")
    if max_steps is not None:
        if isinstance(max_steps, (bool, np.bool_)) or not isinstance(max_steps, numbers.Real) \
                or max_steps != math.floor(max_steps) or max_steps < 1:
            raise ValueError(f"max_steps must be a whole number >= 1 or None, got {max_steps!r}")
        max_steps = int(max_steps)
    lab = current()
    lab.advance(float(ms), max_steps)
    return lab.status()


def status():
    """The current run's status: a JSON-safe dict (see ``Lab.status`` and the module doc).

    Keys: "step", "epoch", "epochs", "steps_per_epoch", "done", "settings",
    "version" (rises whenever the weights change or a run starts), "run" (rises
    on each reset) and "latest" (the last epoch record's recon, kl, neg_elbo,
    test_recon, test_kl, test_neg_elbo and beta; None at epoch 0).
    """
    return current().status()


def set_epochs(epochs):
    """Change the current run's target length (the run's numbers do not depend on it).

    epochs: whole, from the epochs already completed (the run is then done) to
    2000. Returns status.
    """
    lab = current()
    epochs = _setting("epochs", epochs)
    if epochs < lab.epoch:
        raise ValueError(f"epochs must be at least the {lab.epoch} epochs already trained; "
                         f"press Reset to start a new run, got {epochs}")
    lab.settings["epochs"] = epochs
    return lab.status()


_ACTIONS = {
    "reset": reset,
    "advance": advance,
    "status": status,
    "pause": status,  # training stops in the worker; Python only reports where it stopped
    "epochs": set_epochs,
    "presets": lambda: PRESETS,
    "preset": preset,
    "defaults": settings_defaults,
}


def control(action, params=None):
    """The worker's entry point: run ``action`` with ``params`` (a dict); never raises.

    Actions: "reset" (the six settings), "advance" (ms, max_steps), "status",
    "pause" (status), "epochs" ({"epochs": n}: ``set_epochs``), "presets"
    (``PRESETS``), "preset" ({"name": ...}: ``preset``), "defaults". Returns the action's result, or
    ``{"error": message}`` like ``widgets.call``.
    """
    fn = _ACTIONS.get(action)
    if fn is None:
        return {"error": f"unknown lab action {action!r}"}
    try:
        return fn(**dict(params or {}))
    except ValueError as exc:
        return {"error": str(exc)}
    except TypeError as exc:
        return {"error": f"bad parameters for {action}: {exc}"}
    except Exception as exc:  # noqa: BLE001 - reported to the reader, not swallowed
        return {"error": f"{type(exc).__name__}: {exc}"}


# ---------------------------------------------------------------------------
# The true posterior of a 2-D model, on a grid
# ---------------------------------------------------------------------------


def _float64_copy(model):
    """``model`` with its weights copied into a float64 VAE (same sizes and activation)."""
    if model.dtype == np.float64:
        return model
    twin = vae.VAE(model.x_dim, model.hidden, model.z_dim, seed=0,
                   activation=model.activation.name, dtype=np.float64)
    twin.flat[...] = model.flat
    return twin


def _log_lik(model, x, z, chunk_rows=4096):
    """log p(x|z) for each row of z (M, 2); x: (64,) float64. Nats, (M,)."""
    out = np.empty(len(z))
    for start in range(0, len(z), chunk_rows):
        logits = model._decode_logits(z[start : start + chunk_rows])
        out[start : start + chunk_rows] = bernoulli_log_pmf(logits, x)
    return out


def _log_joint(model, x, z):
    """log p(x, z) = log p(x|z) + log N(z; 0, I) for each row of z (M, 2). Nats, (M,)."""
    return _log_lik(model, x, z) - 0.5 * (z * z + _LOG_2PI).sum(axis=1)


def _logsumexp(a):
    top = np.max(a)
    return float(np.log(np.sum(np.exp(a - top))) + top)


def _weighted_mean(values, weight):
    """sum_ij w_i w_j values[i, j] / sum_ij w_i w_j, for a tensor-product weight."""
    return float(weight @ values @ weight / weight.sum() ** 2)


def _grid_kl(log_q, log_p):
    """KL(q || p) between two unnormalised log densities on the same grid, each normalised there."""
    log_q = log_q - _logsumexp(log_q)
    log_p = log_p - _logsumexp(log_p)
    return float(np.sum(np.exp(log_q) * (log_q - log_p)))


def _grid(lo, hi, n):
    """An n1 x n2 grid over the box [lo, hi]: axes, and the points as (n1 * n2, 2), z1 fastest."""
    g1, g2 = np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)
    zz1, zz2 = np.meshgrid(g1, g2)  # (n, n): row = z2, column = z1
    return g1, g2, np.column_stack([zz1.ravel(), zz2.ravel()])


def true_posterior(model, x, *, coarse=61, fine=121, q_nodes=101, k=2000, seed=0,
                   mass=1e-10, q_box=5.0, q_reach=7.0):
    """The exact posterior p(z|x) of a VAE with a 2-D latent, and the ELBO's terms.

    model: a ``vae.VAE`` with z_dim 2 (its weights are copied to float64).
    x: (64,) binary pixels. Steps, all in float64:

    1. log p(x, z) = log p(x|z) + log N(z; 0, I) on a coarse ``coarse`` x
       ``coarse`` grid over [-6, 6]^2, to find where the posterior has mass: the
       cells within a factor ``mass`` of the largest, padded by one coarse cell.
    2. A fine ``fine`` x ``fine`` grid (odd) over a box covering that mass and
       q(z|x)'s +-``q_box`` sd box. log p(x) = logsumexp(log p(x, z)) + log(cell
       area): a Riemann sum. "grid_error": its change when the same box is
       summed on every other point ([::2, ::2], twice the spacing, no new
       decoder evaluations).
    3. ELBO = E_q[log p(x|z)] - KL(q || N(0, I)): the KL in closed form, the
       expectation by the trapezoid rule in q's own coordinates, z = mu + sd t,
       t on a ``q_nodes`` x ``q_nodes`` grid over [-q_reach, q_reach]^2 weighted
       by N(t; 0, I) (independent of the posterior grid). Not Gauss-Hermite: the
       ReLU decoder makes log p(x|z) kinked, and 40 x 40 Gauss-Hermite nodes
       were off by up to 5e-3 nats on the pretrained model's test digits, while
       this rule (101 x 101 over +-7 sd) stays within 1e-4. "elbo_error": its
       change on every other node (the same check as grid_error).
    4. "kl_grid" = KL(q || p(z|x)) on the fine grid, q and p(z|x) each normalised
       there, and "kl_error", its change on every other point. The identity
       log p(x) = ELBO + KL(q || p(z|x)) then holds up to quadrature error:
       "residual" = log_px_grid - (elbo + kl_grid), checked against "tolerance"
       = grid_error + kl_error + elbo_error + 1e-4 (the last term for q's mass
       outside its +-5 sd box, which kl_grid leaves out: < 1e-5 nats). Each
       error estimate compares a rule with itself at twice the spacing, which
       overstates the error at the finer spacing (for an O(h^2) rule, 3 times).
    5. IWAE with k samples of q from ``default_rng(seed)``, and its standard
       error sd(w) / (sqrt(k) mean(w)) (delta method, from scaled weights). A
       rough guide only: when q's sd is below 1/sqrt(2) of the posterior's
       tail width (the prior's sd, 1, at least) the weights w have infinite
       variance; IWAE still converges, from below, but more slowly than the
       standard error says (at k = 20000 on the pretrained model, up to 4.4
       of them low).

    Returns a dict: floats "log_px_grid", "grid_error", "elbo", "elbo_error",
    "recon" (= -E_q log p(x|z)), "kl_prior", "kl_grid", "kl_error", "residual",
    "tolerance", "iwae", "iwae_se"; bool "identity_ok"; arrays "q_mu", "q_sd" (2,), "z1", "z2" (the
    fine axes), "density" (fine, fine): p(z|x) normalised to integrate to 1 on
    the grid, row i at z2[i]; "recon_image" (64,): the decoder's mean at q's mean.
    """
    if not isinstance(model, vae.VAE) or model.z_dim != 2:
        raise ValueError("true_posterior needs a VAE with a 2-D latent")
    for name, n in (("coarse", coarse), ("fine", fine), ("q_nodes", q_nodes)):
        if not isinstance(n, numbers.Integral) or n < 3 or n % 2 == 0:
            raise ValueError(f"{name} must be an odd whole number >= 3, got {n!r}")
    model = _float64_copy(model)
    x = vae._images(np.reshape(x, (1, -1)), model.x_dim)[0]
    mu, log_var = model._encode(x[None])
    q_mu, q_sd = mu[0], np.exp(0.5 * log_var[0])

    # 1. coarse pass: where is the posterior mass?
    _, _, zc = _grid((-6.0, -6.0), (6.0, 6.0), coarse)
    lj = _log_joint(model, x, zc)
    kept = zc[lj >= lj.max() + math.log(mass)]
    pad = 12.0 / (coarse - 1)
    lo = np.minimum(kept.min(axis=0) - pad, q_mu - q_box * q_sd)
    hi = np.maximum(kept.max(axis=0) + pad, q_mu + q_box * q_sd)

    # 2. fine grid: log p(x) and its grid error
    z1, z2, zf = _grid(lo, hi, fine)
    lj = _log_joint(model, x, zf).reshape(fine, fine)
    h1, h2 = z1[1] - z1[0], z2[1] - z2[0]
    log_px = _logsumexp(lj) + math.log(h1 * h2)
    log_px_half = _logsumexp(lj[::2, ::2]) + math.log(4.0 * h1 * h2)
    grid_error = abs(log_px - log_px_half)

    # 3. ELBO: the trapezoid rule on q's standardised coordinates, closed-form KL to the prior
    t = np.linspace(-q_reach, q_reach, q_nodes)
    tt1, tt2 = np.meshgrid(t, t)
    zq = q_mu + q_sd * np.column_stack([tt1.ravel(), tt2.ravel()])
    log_pxz = _log_lik(model, x, zq).reshape(q_nodes, q_nodes)
    weight = np.exp(-0.5 * t * t)
    expected = _weighted_mean(log_pxz, weight)
    expected_half = _weighted_mean(log_pxz[::2, ::2], weight[::2])
    kl_prior = float(0.5 * np.sum(q_mu**2 + q_sd**2 - 1.0 - 2.0 * np.log(q_sd)))
    elbo = expected - kl_prior
    elbo_error = abs(expected - expected_half)

    # 4. KL(q || p(z|x)) on the fine grid, both normalised there; and on every other point
    log_q = (-0.5 * (((zf - q_mu) / q_sd) ** 2).sum(axis=1)).reshape(fine, fine)
    kl_grid = _grid_kl(log_q, lj)
    kl_error = abs(kl_grid - _grid_kl(log_q[::2, ::2], lj[::2, ::2]))
    residual = log_px - (elbo + kl_grid)
    tolerance = grid_error + kl_error + elbo_error + 1e-4

    # 5. IWAE with k samples
    eps = np.random.default_rng(seed).standard_normal((k, 2))
    zs = q_mu + q_sd * eps
    log_w = (_log_joint(model, x, zs)
             + 0.5 * (eps * eps + _LOG_2PI).sum(axis=1) + np.sum(np.log(q_sd)))
    iwae, iwae_se = _iwae_from_log_weights(log_w[:, None])

    density = np.exp(lj - lj.max())
    density /= density.sum() * h1 * h2
    return {"log_px_grid": float(log_px), "grid_error": float(grid_error), "elbo": float(elbo),
            "elbo_error": float(elbo_error), "kl_error": float(kl_error),
            "recon": -expected, "kl_prior": kl_prior, "kl_grid": kl_grid,
            "residual": float(residual), "tolerance": float(tolerance),
            "identity_ok": bool(abs(residual) <= tolerance),
            "iwae": float(iwae[0]), "iwae_se": float(iwae_se[0]),
            "q_mu": q_mu, "q_sd": q_sd, "z1": z1, "z2": z2, "density": density,
            "recon_image": model.decode(q_mu[None])[0]}


# ---------------------------------------------------------------------------
# The lab's widgets: each draws the current session, cached on its version
# ---------------------------------------------------------------------------

_CACHE = {}  # widget name -> (key, result)


def _look():
    """What an image depends on besides the weights: plotting on or off, and the theme."""
    from . import widgets

    figures = sys.modules.get(__package__ + ".figures")  # not imported here: it loads matplotlib
    return widgets._plotting, figures.get_theme() if figures is not None else None


def _cached(name, key, compute):
    """``compute()``, or its result from the last call with the same key (and look)."""
    key = (key, _look())
    hit = _CACHE.get(name)
    if hit is not None and hit[0] == key:
        return hit[1]
    result = compute()
    _CACHE[name] = (key, result)
    return result


def _draw(figure_fn, *args):
    from . import widgets

    return widgets._draw(figure_fn, *args)


def _encoded(lab):
    """The test digits' encoder means and log variances (float64, (360, z_dim)), and labels."""
    def compute():
        d = _data()
        mu, log_var = lab.model._encode(d["X_test"])
        return mu.astype(np.float64), log_var.astype(np.float64), d["y_test"]

    return _cached("_encoded", lab.version, compute)


def _principal_directions(mu):
    """(z_dim, 2) orthonormal columns: the identity's first two for z_dim 2, else the top two
    principal directions of the rows of mu, each signed so its largest-magnitude entry is
    positive (so frames of a training run do not flip)."""
    Z = mu.shape[1]
    if Z == 2:
        return np.eye(2)
    _, _, vt = np.linalg.svd(mu - mu.mean(axis=0), full_matrices=False)
    v = vt[:2].T.copy()
    for j in range(2):
        if v[np.argmax(np.abs(v[:, j])), j] < 0:
            v[:, j] = -v[:, j]
    return v


LATENT_LIM = 4.0  # the lab's latent plane: [-4, 4]^2


def lab_curves():
    """The current run's training curves.

    values: "epoch", "step"; from the latest epoch record (at epoch 0 the untrained
    model's): "train_neg_elbo", "test_neg_elbo", "test_recon", "test_kl"; from the
    latest evaluation on 100 test digits: "subset_elbo", "subset_log_px" (IWAE,
    k = 64, the same samples) and "gap" = subset_log_px - subset_elbo (>= 0:
    Jensen's inequality on the same samples). Nats per digit.
    """
    lab = current()

    def compute():
        h, ev = lab.history, lab.evaluations
        latest, e = h[-1], ev[-1]
        values = {"epoch": int(lab.epoch), "step": int(lab.step),
                  "train_neg_elbo": latest["neg_elbo"], "test_neg_elbo": latest["test_neg_elbo"],
                  "test_recon": latest["test_recon"], "test_kl": latest["test_kl"],
                  "subset_elbo": e["subset_elbo"], "subset_log_px": e["subset_log_px"],
                  "gap": e["subset_log_px"] - e["subset_elbo"]}
        curves = {key: np.array([r[key] for r in h])
                  for key in ("epoch", "neg_elbo", "test_neg_elbo", "recon", "test_recon",
                              "kl", "test_kl")}
        curves.update({key: np.array([r[key] for r in ev])
                       for key in ("subset_elbo", "subset_log_px")})
        curves["eval_epoch"] = np.array([r["epoch"] for r in ev])
        summary = (f"After {lab.epoch} epoch{'' if lab.epoch == 1 else 's'} the test −ELBO is "
                   f"{values['test_neg_elbo']:.2f} nats (reconstruction "
                   f"{values['test_recon']:.2f}, KL {values['test_kl']:.2f}); on 100 test "
                   f"digits log p(x) by importance sampling is {values['subset_log_px']:.2f}, "
                   f"{values['gap']:.3f} nats above the ELBO.")
        return {"image": _draw("lab_curves_image", curves, lab.settings["warmup"]),
                "values": values, "summary": summary}

    return _cached("lab_curves", lab.version, compute)


def lab_latent():
    """The test digits' encoder means in the latent plane (projected by PCA if z_dim > 2).

    values: "n_points" (360), "projection" ("z1, z2" or "PCA"), "mean_kl" (mean over
    the test digits of KL(q(z|x) || p(z)), nats).
    """
    lab = current()

    def compute():
        mu, log_var, labels = _encoded(lab)
        Z = mu.shape[1]
        points = mu @ _principal_directions(mu)
        kl_each = 0.5 * np.sum(mu * mu + np.exp(log_var) - 1.0 - log_var, axis=1)
        outside = int(np.sum(np.any(np.abs(points) > LATENT_LIM, axis=1)))
        projection = "z1, z2" if Z == 2 else "PCA"
        values = {"n_points": int(len(mu)), "projection": projection,
                  "mean_kl": float(np.mean(kl_each))}
        where = ("in the plane of z1 and z2" if Z == 2 else
                 f"projected from {Z} dimensions onto their top two principal directions")
        note = f"; {outside} lie outside the frame and are drawn at its edge" if outside else ""
        summary = (f"The {len(mu)} test digits' encoder means {where}{note}; their mean KL "
                   f"to the prior is {values['mean_kl']:.2f} nats.")
        return {"image": _draw("lab_latent_image", points, labels, kl_each, Z, outside),
                "values": values, "summary": summary}

    return _cached("lab_latent", lab.version, compute)


MANIFOLD_SIDE = 10  # the decoded manifold: 10 x 10 points over [-2.5, 2.5]^2


def lab_recon():
    """Ten test digits (the first of each class), their reconstructions, the decoded manifold.

    A reconstruction is the decoder's mean image at the encoder's mean. values:
    "recon": the mean over the ten of -log p(x | z = encoder mean), nats.
    """
    lab = current()

    def compute():
        d, model = _data(), lab.model
        mu_all, _, labels = _encoded(lab)
        first = np.array([np.flatnonzero(labels == c)[0] for c in range(10)])
        x = d["X_test"][first]
        logits = model._decode_logits(mu_all[first].astype(model.dtype)).astype(np.float64)
        recon = float(-np.mean(bernoulli_log_pmf(logits, x.astype(np.float64))))
        v = _principal_directions(mu_all)
        side = np.linspace(-2.5, 2.5, MANIFOLD_SIDE)
        a, b = np.meshgrid(side, side[::-1])  # the second coordinate grows upwards
        grid_z = np.column_stack([a.ravel(), b.ravel()]) @ v.T
        manifold = sigmoid(model._decode_logits(grid_z.astype(model.dtype)))
        images = sigmoid(logits)
        Z = model.z_dim
        summary = (f"Ten test digits, one of each class, reconstructed from their encoder means "
                   f"at {recon:.2f} nats each on average, beside the decoder's images of a grid "
                   + ("of latent points." if Z == 2 else
                      "along the top two principal directions of the codes."))
        return {"image": _draw("lab_recon_image", x.astype(np.float64), images,
                               manifold.astype(np.float64), Z),
                "values": {"recon": recon}, "summary": summary}

    return _cached("lab_recon", lab.version, compute)


def lab_units():
    """Active units: the KL term of each latent dimension, and which dimensions are in use.

    Dimension d is active if the variance over the test digits of its encoder mean
    exceeds 0.01 (Burda, Grosse & Salakhutdinov 2016, sec. 5.2). values:
    "active_units", "z_dim", "total_kl" (mean test KL, nats), "kl_per_dim" (list:
    each dimension's mean test KL, nats; they sum to total_kl).
    """
    lab = current()

    def compute():
        mu, log_var, _ = _encoded(lab)
        kl_dims = np.mean(0.5 * (mu * mu + np.exp(log_var) - 1.0 - log_var), axis=0)
        active = np.var(mu, axis=0) > ACTIVE_VARIANCE
        n_active, Z = int(np.sum(active)), int(mu.shape[1])
        values = {"active_units": n_active, "z_dim": Z, "total_kl": float(np.sum(kl_dims)),
                  "kl_per_dim": [float(v) for v in kl_dims]}
        summary = (f"{n_active} of {Z} latent units active; the KL term is "
                   f"{values['total_kl']:.2f} nats per test digit in all, "
                   f"{', '.join(f'{v:.2f}' for v in kl_dims)} by dimension.")
        return {"image": _draw("lab_units_image", kl_dims, active), "values": values,
                "summary": summary}

    return _cached("lab_units", lab.version, compute)


_POSTERIORS = {}  # (version, digit) -> the result of lab_posterior


def lab_posterior(digit=0):
    """The current model's true posterior for test digit ``digit``, on a grid (``true_posterior``).

    digit: whole number in [0, 359], an index into the test set. Only for a 2-D
    latent. values (nats): "digit", "label", "log_px_grid", "grid_error", "elbo",
    "kl_grid", "identity_residual" (= log_px_grid - elbo - kl_grid), "tolerance",
    "identity_ok", "iwae", "iwae_se" (k = 2000), "gap" (= log_px_grid - elbo),
    "q_mu1", "q_mu2", "q_sd1", "q_sd2"; also "elbo_error" and "kl_error", the
    quadrature error estimates that make up the tolerance with grid_error.
    """
    if isinstance(digit, (bool, np.bool_)):
        raise ValueError(f"digit must be a whole number from 0 to 359, got {digit!r}")
    try:
        number = float(digit)
    except (TypeError, ValueError):
        raise ValueError(f"digit must be a whole number from 0 to 359, got {digit!r}") from None
    if not math.isfinite(number) or number != math.floor(number) or not 0 <= number <= 359:
        raise ValueError(f"digit must be a whole number from 0 to 359, got {digit!r}")
    digit = int(number)
    lab = current()
    Z = lab.model.z_dim
    if Z != 2:
        raise ValueError(f"The grid posterior needs a 2-D latent; this run's latent has {Z} "
                         "dimensions. Set the latent size to 2 and press Reset.")
    key = (lab.version, digit, _look())
    hit = _POSTERIORS.get(key)
    if hit is not None:
        return hit
    d = _data()
    x = d["X_test"][digit].astype(np.float64)
    label = int(d["y_test"][digit])
    r = true_posterior(lab.model, x, seed=digit)
    values = {"digit": digit, "label": label, "log_px_grid": r["log_px_grid"],
              "grid_error": r["grid_error"], "elbo": r["elbo"], "kl_grid": r["kl_grid"],
              "identity_residual": r["residual"], "tolerance": r["tolerance"],
              "identity_ok": r["identity_ok"], "iwae": r["iwae"], "iwae_se": r["iwae_se"],
              "gap": r["log_px_grid"] - r["elbo"],
              "q_mu1": float(r["q_mu"][0]), "q_mu2": float(r["q_mu"][1]),
              "q_sd1": float(r["q_sd"][0]), "q_sd2": float(r["q_sd"][1]),
              "elbo_error": r["elbo_error"], "kl_error": r["kl_error"]}
    holds = "holds" if r["identity_ok"] else "fails"
    summary = (f"Test digit {digit}, a {label}: on a grid log p(x) = {r['log_px_grid']:.3f} nats, "
               f"the ELBO is {r['elbo']:.3f} and KL(q || p(z|x)) = {r['kl_grid']:.3f}, so the "
               f"identity log p(x) = ELBO + KL {holds} to within {r['tolerance']:.4f}; "
               f"importance sampling gives {r['iwae']:.3f} ± {r['iwae_se']:.3f}.")
    result = {"image": _draw("lab_posterior_image", x, r["recon_image"], r["z1"], r["z2"],
                             r["density"], r["q_mu"], r["q_sd"]),
              "values": values, "summary": summary}
    if any(k[0] != lab.version for k in _POSTERIORS):
        _POSTERIORS.clear()  # only the current weights' posteriors are worth keeping
    if len(_POSTERIORS) >= 32:
        _POSTERIORS.pop(next(iter(_POSTERIORS)))
    _POSTERIORS[key] = result
    return result
