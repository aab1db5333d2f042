"""One function per widget: the only module the page calls.

A widget takes keyword arguments named like its controls and returns a
JSON-safe dict: ``image`` (RGBA pixels, see figures.py, or None before
plotting is enabled), ``values`` (the numbers the page shows) and ``summary``
(one sentence for screen readers). Bad input raises
``ValueError`` with a message the reader can act on; ``call`` turns that into
``{"error": message}`` for the page.
"""

import math
import sys

import numpy as np

from . import estimators, toy
from .gaussian import kl_to_standard_normal, log_normal_pdf

__all__ = ["WIDGETS", "architecture", "call", "decode_at", "derivation", "dynamics",
           "enable_plotting", "generate", "kl", "kl_direction", "kl_mc", "latent", "posterior",
           "lab_curves", "lab_latent", "lab_posterior", "lab_recon", "lab_units",
           "reparam", "tension"]

_Z = np.linspace(-6.0, 6.0, 601)
_PRIOR = np.exp(log_normal_pdf(_Z))  # N(0, 1) on _Z: the same on every call

# In the browser, numbers go live as soon as numpy is loaded and figures once
# matplotlib is (it takes seconds more); the worker then calls enable_plotting().
# Until then widgets return "image": None. Natively, plotting is always on.
_plotting = sys.platform != "emscripten"


def enable_plotting():
    """Import the figure code (and so matplotlib) and start drawing images."""
    global _plotting
    from . import figures  # noqa: F401 - the import is the point: pay its cost now

    _plotting = True


def _draw(figure_fn, *args):
    """``figures.<figure_fn>(*args)``, or None while plotting is not enabled."""
    if not _plotting:
        return None
    from . import figures

    return getattr(figures, figure_fn)(*args)


def _number(name, value):
    """Coerce a control's value to float, or raise a ValueError naming it."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, not {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None


def _ranged(name, value, lo, hi):
    """A finite number in [lo, hi] (a control's range), or a ValueError naming it."""
    value = _number(name, value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo:g} and {hi:g}, got {value:g}")
    return value


def _whole(name, value, lo, hi):
    """A whole number in [lo, hi]; whole-number floats (100.0, from a slider) are accepted."""
    message = f"{name} must be a whole number from {lo} to {hi}"
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(message)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{message}, got {value!r}") from None
    if not math.isfinite(number) or number != math.floor(number) or not lo <= number <= hi:
        raise ValueError(f"{message}, got {value!r}")
    return int(number)


def kl(mu=1.0, sigma=0.6):
    """KL(q || p) for q = N(mu, sigma^2) and the prior p = N(0, 1), with both densities drawn."""
    mu, sigma = _number("mu", mu), _number("sigma", sigma)
    value = kl_to_standard_normal(mu, sigma)  # validates: finite, sigma > 0
    q = np.exp(log_normal_pdf(_Z, mu, sigma))
    if abs(mu) < 0.05 and abs(sigma - 1.0) < 0.05:
        shape = "q is almost exactly the prior"
    else:
        width = "narrower than" if sigma < 1 else ("wider than" if sigma > 1 else "as wide as")
        shape = f"q is {width} the prior and centred at {mu:.2f}"
    return {
        "image": _draw("kl_image", _Z, q, _PRIOR),
        "values": {"kl": value, "mu": mu, "sigma": sigma},
        "summary": f"KL = {value:.3f} nats; {shape}.",
    }


def kl_mc(mu=1.0, sigma=0.6, n=100, seed=0):
    """The KL term by Monte Carlo beside its closed form.

    Draws n samples z ~ q = N(mu, sigma^2) from ``default_rng(seed)`` and averages
    log q(z) - log p(z). The running estimate over the first 1..n samples is drawn
    against the closed form, inside a band of +-2 standard errors.

    The standard error is exact, not estimated: with z = mu + sigma eps,
    ``log q(z) - log p(z) = -log sigma + mu^2/2 + mu sigma eps + (sigma^2 - 1) eps^2 / 2``,
    whose variance is ``mu^2 sigma^2 + (sigma^2 - 1)^2 / 2``; so it is defined for
    n = 1 too. values: kl, kl_mc, kl_mc_se (nats) and n.
    """
    mu, sigma = _number("mu", mu), _number("sigma", sigma)
    value = kl_to_standard_normal(mu, sigma)  # validates: finite, sigma > 0
    n = _whole("n", n, 1, 10000)
    seed = _whole("seed", seed, 0, 2**32 - 1)
    z = mu + sigma * np.random.default_rng(seed).standard_normal(n)
    log_ratio = log_normal_pdf(z, mu, sigma) - log_normal_pdf(z)  # log q(z) - log p(z)
    running = np.cumsum(log_ratio) / np.arange(1, n + 1)
    sd = math.sqrt(mu * mu * sigma * sigma + 0.5 * (sigma * sigma - 1.0) ** 2)
    estimate, se = float(running[-1]), sd / math.sqrt(n)
    return {
        "image": _draw("kl_mc_image", running, value, sd),
        "values": {"kl": value, "kl_mc": estimate, "kl_mc_se": se, "n": n},
        "summary": (f"From {n} sample{'s' if n > 1 else ''} of q the Monte Carlo estimate of the KL "
                    f"is {estimate:.3f} nats (standard error {se:.3f}); the exact value is "
                    f"{value:.3f} nats."),
    }


REPARAM_DRAWS = 2000  # samples in the histograms of eps and z
REPARAM_REPEATS = 500  # independent gradient estimates per estimator (n <= 100)
REPARAM_BUDGET = 50_000  # above n = 100, fewer repeats: n * repeats <= this, and >= 100 repeats


def _reparam_repeats(n):
    return REPARAM_REPEATS if n <= 100 else max(100, REPARAM_BUDGET // n)


def reparam(mu=0.8, sigma=1.0, n=16, seed=0):
    """The reparameterisation trick, and why its gradients are less noisy.

    Left: histograms of eps ~ N(0, 1) and z = mu + sigma eps (the same 2000 draws).
    Right: 500 independent n-sample estimates of d/dmu E_q[z^2] (exactly 2 mu;
    fewer for n > 100 to keep a slider move fast: 50,000 / n, at least 100)
    by reparameterisation and by the score function, from the same eps
    (``estimators.estimator_spread``). All draws come from ``default_rng(seed)``:
    first the histogram's, then the estimates'.

    values: exact_dmu, exact_dsigma; rep_/sf_ mean_dmu and sd_dmu, sd_dsigma (over
    the repeats); variance_ratio_dmu = var(score) / var(reparam), for d/dmu;
    repeats (the number of estimates of each kind).
    """
    mu, sigma = _ranged("mu", mu, -2.0, 2.0), _ranged("sigma", sigma, 0.1, 2.0)
    n = _whole("n", n, 1, 1000)
    seed = _whole("seed", seed, 0, 2**32 - 1)
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal(REPARAM_DRAWS)
    repeats = _reparam_repeats(n)
    spread = estimators.estimator_spread(mu, sigma, n, repeats, rng)
    rep, sf = spread["reparam"], spread["score"]
    ratio = sf["var"][0] / rep["var"][0]
    values = {
        "exact_dmu": spread["exact"][0], "exact_dsigma": spread["exact"][1],
        "rep_mean_dmu": rep["mean"][0], "rep_sd_dmu": rep["std"][0],
        "sf_mean_dmu": sf["mean"][0], "sf_sd_dmu": sf["std"][0],
        "rep_sd_dsigma": rep["std"][1], "sf_sd_dsigma": sf["std"][1],
        "variance_ratio_dmu": ratio, "repeats": repeats,
    }
    return {
        "image": _draw("reparam_image", eps, mu, sigma, rep["estimates"][:, 0],
                       sf["estimates"][:, 0], spread["exact"][0],
                       math.sqrt(sf["exact_var"][0])),
        "values": values,
        "summary": (f"With {n} sample{'s' if n > 1 else ''} per estimate, the gradient of E[z^2] "
                    f"in mu (exactly {values['exact_dmu']:.2f}) has spread {rep['std'][0]:.3f} by "
                    f"reparameterisation and {sf['std'][0]:.3f} by the score function: "
                    f"{ratio:.1f} times the variance, over {repeats} estimates of each."),
    }


# --- the toy model z ~ N(0, 1), x | z ~ N(z^2, s^2) ---------------------------------------

_TOY_Z = np.linspace(-4.0, 4.0, 1601)  # the toy figures' z axis, fixed so the eye can compare
_TOY_PRIOR = np.exp(log_normal_pdf(_TOY_Z))


def _count_modes(density):
    """Local maxima of a density sampled on a grid (plateaus count once)."""
    d = np.asarray(density)
    up = np.diff(d)
    signs = np.sign(up[up != 0])  # ignore flat steps
    return int(np.sum((signs[:-1] > 0) & (signs[1:] < 0)))


def posterior(x=2.0, s=0.5):
    """The toy model's prior p(z) and its exact posterior p(z | x), drawn over z in [-4, 4].

    x: the observed data point, in [-1, 6]. s: the noise sd of p(x|z), in [0.1, 2].
    values: log_evidence = log p(x) (nats); n_modes (1 or 2, local maxima of the
    posterior on the grid); mode (the positive mode, 0 when unimodal); posterior_sd.
    """
    x, s = _ranged("x", x, -1.0, 6.0), _ranged("s", s, 0.1, 2.0)
    density = toy.posterior_pdf(x, _TOY_Z, s=s)
    log_px = toy.log_evidence(x, s=s)
    n_modes = _count_modes(density)
    mode = math.sqrt(x - 0.5 * s * s) if n_modes >= 2 else 0.0  # g'(z) = 0, see toy.py
    sd = math.sqrt(toy.posterior_moments(x, s=s)["var"])
    if n_modes >= 2:
        shape = f"two modes, at z = -{mode:.2f} and +{mode:.2f}"
    else:
        shape = "a single mode at z = 0"
    return {
        "image": _draw("posterior_image", _TOY_Z, _TOY_PRIOR, density, mode if n_modes >= 2 else None),
        "values": {"log_evidence": log_px, "n_modes": n_modes, "mode": mode, "posterior_sd": sd},
        "summary": (f"For x = {x:.2f} and s = {s:.2f} the posterior p(z|x) has {shape}, "
                    f"standard deviation {sd:.2f}, and log p(x) = {log_px:.3f} nats."),
    }


def derivation(x=2.0, mu=0.0, sigma=1.5, s=0.5, n=1000, seed=0):
    """The ELBO derivation on the toy model, at the reader's q = N(mu, sigma^2).

    Exact: log p(x) (quadrature), the ELBO = recon - kl_prior (closed form), and
    kl_posterior = KL(q || p(z|x)) (``toy.kl_to_posterior``), with the identity
    log p(x) = ELBO + KL(q || p(z|x)) checked (identity_residual, ~1e-15).
    Monte Carlo from n draws of q (``default_rng(seed)``, ``toy.jensen_monte_carlo``):
    log_mean_ratio_mc = log mean p(x,z)/q(z), an estimate of log p(x), and
    elbo_mc = mean log p(x,z)/q(z), each with its standard error. All nats.

    x in [-1, 6], mu in [-3, 3], sigma in [0.1, 3], s in [0.1, 2], n whole in
    [2, 10000] (one draw has no standard error), seed whole >= 0. The image shows
    p(z|x) and q over z, and below them the log ratio log p(x,z)/q(z) at each z
    with the draws, its mean (the ELBO) and log p(x): the gap between is the KL.
    """
    x, s = _ranged("x", x, -1.0, 6.0), _ranged("s", s, 0.1, 2.0)
    mu, sigma = _ranged("mu", mu, -3.0, 3.0), _ranged("sigma", sigma, 0.1, 3.0)
    n = _whole("n", n, 2, 10000)
    seed = _whole("seed", seed, 0, 2**32 - 1)
    terms = toy.elbo_terms(x, mu, sigma, s=s)
    kl_post = toy.kl_to_posterior(x, mu, sigma, s=s)
    mc = toy.jensen_monte_carlo(x, mu, sigma, n, np.random.default_rng(seed), s=s)
    values = {
        "log_evidence": terms["log_evidence"],
        "log_mean_ratio_mc": mc["log_mean_ratio"],
        "log_mean_ratio_mc_se": mc["log_mean_ratio_se"],
        "elbo": terms["elbo"],
        "elbo_mc": mc["mean_log_ratio"],
        "elbo_mc_se": mc["mean_log_ratio_se"],
        "recon": terms["recon"],
        "kl_prior": terms["kl_prior"],
        "kl_posterior": kl_post,
        "identity_residual": terms["log_evidence"] - (terms["elbo"] + kl_post),
    }
    # the draws again (the same generator state) for the figure's dots: at most 150
    z_draws = mu + sigma * np.random.default_rng(seed).standard_normal(min(n, 150))
    r_draws = toy.log_joint(x, z_draws, s=s) - log_normal_pdf(z_draws, mu, sigma)
    q = np.exp(log_normal_pdf(_TOY_Z, mu, sigma))
    post = toy.posterior_pdf(x, _TOY_Z, s=s)
    r_curve = toy.log_joint(x, _TOY_Z, s=s) - np.log(np.maximum(q, 1e-300))
    return {
        "image": _draw("derivation_image", _TOY_Z, post, q, r_curve, z_draws, r_draws,
                       values["log_evidence"], values["elbo"]),
        "values": values,
        "summary": (f"log p(x) = {values['log_evidence']:.3f} nats equals the ELBO "
                    f"{values['elbo']:.3f} plus KL(q || p(z|x)) = {kl_post:.3f}; from {n} "
                    f"samples of q the Monte Carlo estimates are {values['log_mean_ratio_mc']:.3f} "
                    f"for log p(x) and {values['elbo_mc']:.3f} for the ELBO."),
    }


BETA_MIN = 0.01  # below this the best q collapses towards a point and its KL blows up


def tension(x=2.0, beta=1.0, s=0.5):
    """The beta tension: the Gaussian q* maximising E_q[log p(x|z)] - beta KL(q || p(z)).

    q* = ``toy.beta_optimum(x, beta, s)``, found exactly. Small beta favours
    reconstruction (q* narrows onto a mode), large beta pulls q* to the prior.
    beta must be at least 0.01 (``BETA_MIN``): at beta = 0 the optimum is a point
    mass, with an infinite KL, which no number can show.

    x in [-1, 6], beta in [0.01, 8], s in [0.1, 2]. values (nats): mu, sigma of
    q*; recon, kl (to the prior), elbo = recon - kl, gap = log p(x) - elbo =
    KL(q* || p(z|x)), log_evidence; beta.
    """
    x, s = _ranged("x", x, -1.0, 6.0), _ranged("s", s, 0.1, 2.0)
    beta = _number("beta", beta)
    if math.isfinite(beta) and 0.0 <= beta < BETA_MIN:
        raise ValueError("beta must be at least 0.01: at beta = 0 the best q shrinks to a point "
                         "(sigma -> 0) and its KL to the prior is infinite")
    beta = _ranged("beta", beta, BETA_MIN, 8.0)
    opt = toy.beta_optimum(x, beta, s=s)
    values = {key: float(opt[key]) for key in ("mu", "sigma", "recon", "kl", "elbo", "gap",
                                                "log_evidence", "beta")}
    q = np.exp(log_normal_pdf(_TOY_Z, values["mu"], values["sigma"]))
    post = toy.posterior_pdf(x, _TOY_Z, s=s)
    return {
        "image": _draw("tension_image", _TOY_Z, post, q, values),
        "values": values,
        "summary": (f"At beta = {beta:.2f} the best Gaussian q has mean {values['mu']:.2f} and sd "
                    f"{values['sigma']:.2f}: reconstruction {values['recon']:.2f}, KL "
                    f"{values['kl']:.2f}, ELBO {values['elbo']:.2f} and gap {values['gap']:.2f} "
                    f"nats below log p(x) = {values['log_evidence']:.2f}."),
    }


def kl_direction(x=2.0, s=0.5):
    """Forward vs reverse KL: two best Gaussian fits to the toy posterior.

    Reverse KL(q || p(z|x)) (the ELBO's) is mode-seeking: ``toy.fit_reverse_kl``
    puts q on one mode. Forward KL(p(z|x) || q) is mass-covering:
    ``toy.fit_forward_kl`` matches the posterior's mean and variance.
    x in [-1, 6], s in [0.1, 2]. values (nats for divergences): rev_mu, rev_sigma,
    rev_gap = KL(q_rev || p(z|x)); fwd_mu, fwd_sigma, fwd_kl = KL(p(z|x) || q_fwd).
    """
    x, s = _ranged("x", x, -1.0, 6.0), _ranged("s", s, 0.1, 2.0)
    rev, fwd = toy.fit_reverse_kl(x, s=s), toy.fit_forward_kl(x, s=s)
    values = {"rev_mu": rev["mu"], "rev_sigma": rev["sigma"], "rev_gap": rev["gap"],
              "fwd_mu": fwd["mu"], "fwd_sigma": fwd["sigma"], "fwd_kl": fwd["forward_kl"]}
    post = toy.posterior_pdf(x, _TOY_Z, s=s)
    q_rev = np.exp(log_normal_pdf(_TOY_Z, rev["mu"], rev["sigma"]))
    q_fwd = np.exp(log_normal_pdf(_TOY_Z, fwd["mu"], fwd["sigma"]))
    return {
        "image": _draw("kl_direction_image", _TOY_Z, post, q_rev, q_fwd),
        "values": values,
        "summary": (f"Minimising KL(q || p) puts q at mean {rev['mu']:.2f} with sd "
                    f"{rev['sigma']:.2f}{' (on one of the two modes)' if rev['mu'] > 0 else ''}; "
                    f"minimising KL(p || q) gives mean {fwd['mu']:.2f} and sd "
                    f"{fwd['sigma']:.2f}, covering the whole posterior."),
    }


# --- the pretrained VAE on the 8x8 digits ------------------------------------------------

_MODELS = {}  # name -> VAE, loaded on first use (the weights are read from the package)


def _model(name="beta1"):
    model = _MODELS.get(name)
    if model is None:
        from . import vae

        model = _MODELS[name] = vae.load_pretrained(name)
    return model


def _log_prior(z):
    """log N(z; 0, I) for each row of z (N, 2), nats."""
    return np.sum(log_normal_pdf(z), axis=-1)


def generate(n=16, seed=0):
    """The generative story with the pretrained beta = 1 VAE: z ~ N(0, I), then decode.

    Draws n latent points from ``default_rng(seed)`` and decodes each to its mean
    image (each pixel's probability of ink). n whole in [1, 64], seed whole >= 0.
    values: n, mean_log_prior (the mean of log N(z; 0, I) over the draws, nats).
    """
    n = _whole("n", n, 1, 64)
    seed = _whole("seed", seed, 0, 2**32 - 1)
    z = np.random.default_rng(seed).standard_normal((n, 2))
    images = _model("beta1").decode(z)  # (n, 64) in [0, 1]
    mean_log_prior = float(np.mean(_log_prior(z)))
    return {
        "image": _draw("generate_image", z, images),
        "values": {"n": n, "mean_log_prior": mean_log_prior},
        "summary": (f"{n} point{'s' if n > 1 else ''} drawn from the prior N(0, I) "
                    f"(mean log density {mean_log_prior:.2f} nats) and decoded into "
                    f"{'digits' if n > 1 else 'a digit'} by the pretrained VAE."),
    }


def decode_at(z1=0.0, z2=0.0):
    """The pretrained beta = 1 VAE's decoded mean image at one latent point (z1, z2).

    z1, z2 in [-3, 3]. values: z1, z2, log_prior = log N(z; 0, I) in nats.
    """
    z1, z2 = _ranged("z1", z1, -3.0, 3.0), _ranged("z2", z2, -3.0, 3.0)
    z = np.array([[z1, z2]])
    image = _model("beta1").decode(z)[0]
    log_prior = float(_log_prior(z)[0])
    radius = math.hypot(z1, z2)
    return {
        "image": _draw("decode_at_image", z1, z2, image),
        "values": {"z1": z1, "z2": z2, "log_prior": log_prior},
        "summary": (f"The decoder's image at z = ({z1:.2f}, {z2:.2f}), {radius:.2f} prior "
                    f"standard deviations from the centre, where log p(z) = {log_prior:.2f} nats."),
    }


_ENCODED = {}  # model name -> (mu, log_var, labels) of the test digits


def _encoded_test_set(name):
    if name not in _ENCODED:
        from . import data

        _, _, x_test, y_test = data.load_split()
        mu, log_var = _model(name).encode(x_test)
        _ENCODED[name] = (mu, log_var, y_test)
    return _ENCODED[name]


def latent(classes="0123456789", model="beta1"):
    """The test digits in latent space, and the decoded manifold, for a pretrained VAE.

    classes: a string of the digit characters to show, e.g. "0123456789" or "17";
    model: "beta1" or "beta4". The left panel scatters the encoder means of the
    test digits of those classes (each drawn as its digit, coloured by class)
    with the prior's 1 and 2 sd circles; the right panel decodes a 12 x 12 grid
    of z in [-2.5, 2.5]^2. values: n_points (test digits shown), mean_kl (the
    mean over those digits of KL(q(z|x) || N(0, I)), nats), model.
    """
    if not isinstance(classes, str):
        raise ValueError(f"classes must be a string of digits such as \"0123456789\", "
                         f"got {classes!r}")
    bad = sorted({c for c in classes if c not in "0123456789"})
    if bad:
        raise ValueError(f"classes must contain only the digits 0-9, got {''.join(bad)!r}")
    chosen = sorted({int(c) for c in classes})
    if not chosen:
        raise ValueError("choose at least one class")
    if model not in ("beta1", "beta4"):
        raise ValueError(f"model must be \"beta1\" or \"beta4\", got {model!r}")
    mu, log_var, labels = _encoded_test_set(model)
    keep = np.isin(labels, chosen)
    kl_each = 0.5 * np.sum(mu[keep] ** 2 + np.exp(log_var[keep]) - 1.0 - log_var[keep], axis=1)
    mean_kl = float(np.mean(kl_each))
    n_points = int(np.sum(keep))
    return {
        "image": _draw("latent_image", mu, labels, chosen, model),
        "values": {"n_points": n_points, "mean_kl": mean_kl, "model": model},
        "summary": (f"{n_points} test digits of class{'es' if len(chosen) > 1 else ''} "
                    f"{', '.join(map(str, chosen))} encoded by the {model} model; their mean KL "
                    f"to the prior is {mean_kl:.2f} nats."),
    }


RUNS = ("no_warmup", "warmup", "beta4")
_HISTORIES = {}


def dynamics(run="warmup"):
    """Recorded training of the VAE (``vae.load_histories``): recon and KL against epoch.

    run: "no_warmup" (beta = 1 throughout), "warmup" (beta ramps from 0 to 1 over
    the first 100 epochs) or "beta4" (beta = 4). Train curves solid, test dashed.
    values: final_recon, final_kl (on the test set at the last epoch, nats per
    digit), final_neg_elbo = final_recon + final_kl (the beta = 1 negative ELBO,
    whatever beta the run trained with), epochs.
    """
    if run not in RUNS:
        raise ValueError(f"run must be one of {', '.join(RUNS)}; got {run!r}")
    if not _HISTORIES:
        from . import vae

        _HISTORIES.update(vae.load_histories())
    h = _HISTORIES[run]
    recon, kl = float(h["test_recon"][-1]), float(h["test_kl"][-1])
    epochs = int(h["epoch"][-1])
    return {
        "image": _draw("dynamics_image", run, h),
        "values": {"final_recon": recon, "final_kl": kl, "final_neg_elbo": recon + kl,
                   "epochs": epochs},
        "summary": (f"Run {run.replace('_', ' ')}: after {epochs} epochs the test reconstruction "
                    f"term is {recon:.2f} nats and the KL {kl:.2f} nats, a negative ELBO of "
                    f"{recon + kl:.2f} nats per digit."),
    }


def architecture():
    """The pretrained beta = 1 VAE's sizes, for the page's diagram (drawn here too).

    values: x_dim (pixels), hidden (units per hidden layer), z_dim, n_params
    (weights and biases), activation (its name).
    """
    model = _model("beta1")
    values = {"x_dim": int(model.x_dim), "hidden": int(model.hidden), "z_dim": int(model.z_dim),
              "n_params": int(model.flat.size), "activation": str(model.activation.name)}
    return {
        "image": _draw("architecture_image", values),
        "values": values,
        "summary": (f"The encoder maps {values['x_dim']} pixels through {values['hidden']} "
                    f"{values['activation']} units to the mean and log variance of a "
                    f"{values['z_dim']}-dimensional z; the decoder maps z through "
                    f"{values['hidden']} units back to {values['x_dim']} pixel probabilities; "
                    f"{values['n_params']:,} parameters in all."),
    }


WIDGETS = {"kl": kl, "posterior": posterior, "kl_mc": kl_mc, "reparam": reparam,
           "derivation": derivation, "tension": tension,
           "kl_direction": kl_direction, "generate": generate, "decode_at": decode_at,
           "latent": latent, "dynamics": dynamics, "architecture": architecture}


# The training lab's figures (lab.py). Imported here, at the bottom, so that lab.py may use
# the helpers above; lab.py imports this module only inside its functions.
from . import lab as _lab  # noqa: E402

lab_curves, lab_latent, lab_recon = _lab.lab_curves, _lab.lab_latent, _lab.lab_recon
lab_units, lab_posterior = _lab.lab_units, _lab.lab_posterior
WIDGETS.update(lab_curves=lab_curves, lab_latent=lab_latent, lab_recon=lab_recon,
               lab_units=lab_units, lab_posterior=lab_posterior)


def call(name, params):
    """Run widget ``name`` with ``params`` (a dict); never raises.

    Returns the widget's result, or ``{"error": message}``: a ValueError's
    message as is, anything else prefixed with its type so it can be reported.
    """
    fn = WIDGETS.get(name)
    if fn is None:
        return {"error": f"unknown widget {name!r}"}
    try:
        return fn(**dict(params))
    except ValueError as exc:
        return {"error": str(exc)}
    except TypeError as exc:  # e.g. an unexpected keyword from a stale page
        return {"error": f"bad parameters for {name}: {exc}"}
    except Exception as exc:  # noqa: BLE001 - reported to the reader, not swallowed
        return {"error": f"{type(exc).__name__}: {exc}"}
