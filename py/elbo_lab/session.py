"""The training lab: one VAE that the reader trains on the digits, live, a chunk at a time.

The browser's worker holds one session, a ``Lab``, made with the default
settings on first use. It calls ``reset(**settings)`` to start a run and
``advance(ms=15)`` again and again to train it a few milliseconds at a time,
between the reader's own calls; every action goes through ``ACTIONS`` (the
door's "lab" requests). The lab's figures (``widgets/lab_*.py``) read the
current session and cache on its ``version``.

The run. ``VAE(784, HIDDEN, z_dim, seed=seed, dtype=np.float32)`` trained by
``training.train(..., batch_size=128, lr, beta, seed, warmup_epochs=warmup,
yield_steps=True, piece_rows=PIECE_ROWS)`` on the 9,000 training digits: 71 Adam
steps per epoch. Chunks end between pieces of work (``Lab._units``), so the same
settings give the same run, bit for bit, however it is chunked (a test checks). The generator is made for
``EPOCHS_MAX`` epochs and stopped at the target (its length changes no number),
so the target can be raised or lowered mid-run (``set_epochs``).

Curves. Each epoch's record from ``training.train`` (training means and the
test set at one fixed eps draw), plus one at epoch 0 for the untrained model
(stored for the first settings and the presets: ``lab_start.json``).
On a schedule (``evaluation_due``) the lab estimates log p(x) by importance
sampling (IWAE, k = 64, ``importance.estimate_in_pieces``) on 100 fixed test digits and,
from the same samples, the ELBO. Measured natively (2 cores, float32, numpy
matmul, whole 150- and 600-epoch runs in 15 ms chunks): one evaluation takes
5-6 ms and one epoch 6-10 ms, so evaluating at epochs 1, 2 and 5 and then every
10th epoch costs 7-10% of the training time.

Settings (``SETTINGS``, checked by ``params``): beta in [0, 40]; lr in
[0.0001, 0.02]; warmup, whole epochs in [0, 100]; z_dim one of 2, 3, 4, 8, 16;
seed, whole in [0, 99999]; epochs, whole in [1, 500].
"""

import math
import time

import numpy as np

from . import data, importance, lab_start, layers
from .checks import ParamError, in_range, whole
from .params import Choice, Real, Whole, check_all, defaults
from .training import PIECE, train
from .vae import VAE

__all__ = ["ACTIONS", "BATCH_SIZE", "EPOCHS_MAX", "EVAL_K", "PRESETS", "SETTINGS", "Lab",
           "advance", "current", "evaluation_due", "lab_data", "principal_directions", "reset",
           "pause", "set_epochs", "status", "subset_indices"]

BATCH_SIZE = 128
EPOCHS_MAX = 500
HIDDEN = 128  # as the pretrained models (scripts/pretrain.py)
EVAL_K = 64  # importance samples per digit in the periodic evaluation
# The lab's work comes in pieces of a few ms in the browser, so that a reader's call waits
# for at most one (a whole step of 128 is 33 ms there): a batch's gradient is summed over
# pieces of PIECE_ROWS digits (the test loss over 4x as many), and the evaluation weighs
# EVAL_ROWS digits at a time
PIECE_ROWS = 32
EVAL_ROWS = 4

SETTINGS = (
    Real("beta", 1.0, "β, the weight on the KL term", "lab-beta", lo=0.0, hi=40.0, step=0.5,
         short="β"),
    Real("lr", 0.001, "learning rate (Adam)", "lab-lr", lo=0.0001, hi=0.02,
         options=((0.0003, "0.0003"), (0.001, "0.001"), (0.003, "0.003"), (0.01, "0.01"))),
    Whole("warmup", 0, "KL warm-up, epochs", "lab-warmup", lo=0, hi=100, step=1,
          box_label="warm-up epochs"),
    Choice("z_dim", 2, "latent size", "lab-zdim",
           options=((2, "2"), (3, "3"), (4, "4"), (8, "8"), (16, "16"))),
    Whole("seed", 0, "seed", "lab-seed", lo=0, hi=99999, slider=(0, 999), short="seed"),
    Whole("epochs", 30, "train for, epochs", "lab-epochs", lo=1, hi=EPOCHS_MAX,
          slider=(5, 200), step=5, box_label="epochs to train"),
)

PRESETS = {
    "default": {
        "settings": defaults(SETTINGS),
        "label": "Default: β = 1",
        "note": ("The plain VAE: β = 1, no warm-up. Both latent dimensions stay in use and "
                 "the test −ELBO falls from 544 nats (784 coin flips) to about 167 in 30 epochs."),
    },
    "collapse": {
        "settings": {"beta": 32.0, "lr": 0.003, "warmup": 0, "z_dim": 2, "seed": 1, "epochs": 15},
        "label": "Posterior collapse: β = 32",
        "note": ("With β = 32 the KL term wins: q(z|x) becomes the prior for every digit, the KL "
                 "falls to 0.00 nats and no unit stays active. On 784 pixels the first nat "
                 "of code saves many nats of reconstruction, so it takes a β this large."),
    },
    "partial": {
        "settings": {"beta": 24.0, "lr": 0.003, "warmup": 0, "z_dim": 2, "seed": 1, "epochs": 15},
        "label": "β = 24, one unit dies",
        "note": ("At β = 24 one latent dimension collapses onto the prior early and does not "
                 "recover: 1 of 2 units active, a KL of about 0.2 nats."),
    },
    "warmup": {
        "settings": {"beta": 24.0, "lr": 0.01, "warmup": 5, "z_dim": 2, "seed": 1, "epochs": 15},
        "label": "β = 24 with warm-up",
        "note": ("At β = 24 and a learning rate of 0.01 both units die without warm-up. Ramp the "
                 "KL weight up over 5 epochs and the decoder learns to use both dimensions "
                 "before the KL bites: both stay active (KL about 0.4 nats)."),
    },
}

_DATA = {}


def lab_data():
    """{"X_train", "X_test" (float32), "y_test", "subset"}: the lab's data, loaded once."""
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


def principal_directions(mu):
    """(z_dim, 2) orthonormal columns: the identity's first two for z_dim 2, else the top two
    principal directions of the rows of mu, each signed so its largest-magnitude entry is
    positive (so frames of a training run do not flip)."""
    if mu.shape[1] == 2:
        return np.eye(2)
    _, _, vt = np.linalg.svd(mu - mu.mean(axis=0), full_matrices=False)
    v = vt[:2].T.copy()
    for j in range(2):
        if v[np.argmax(np.abs(v[:, j])), j] < 0:
            v[:, j] = -v[:, j]
    return v


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
    error of that mean, delta method per digit). ``version`` rises whenever the
    weights change; ``memo`` keeps results computed from the current weights.
    stored: take epoch 0's record and evaluation from ``lab_start`` when it holds
    this run (``stored_start`` says whether it did); False computes them.
    """

    def __init__(self, settings, stored=True):
        self.settings = dict(settings)
        s, d = self.settings, lab_data()
        self.model = VAE(data.N_PIXELS, HIDDEN, s["z_dim"], seed=s["seed"], dtype=np.float32)
        self._steps = train(self.model, d["X_train"], EPOCHS_MAX, batch_size=BATCH_SIZE,
                            lr=s["lr"], beta=s["beta"], seed=s["seed"],
                            warmup_epochs=s["warmup"], X_test=d["X_test"], yield_steps=True,
                            piece_rows=PIECE_ROWS)
        self._work = self._units()
        self._mid_step = False  # a chunk ended inside a step: its pieces so far are done
        self.steps_per_epoch = -(-d["X_train"].shape[0] // BATCH_SIZE)
        self.step = 0
        self.epoch = 0
        start = lab_start.stored(self.settings["seed"], self.model) if stored else None
        self.stored_start = start is not None
        self.history = [self._epoch_zero(start and start["record"])]
        self.evaluations = []
        if start:
            self.evaluations.append({"epoch": 0, **start["evaluation"]})
        else:
            for _ in self._evaluation(0):
                pass
        self.run = _next("run")
        self.version = _next("version")
        self._memo = (self.version, {})

    def _epoch_zero(self, losses=None):
        """The untrained model's record: from ``losses`` (stored: ``lab_start``) or computed,
        with the settings' beta."""
        s, d = self.settings, lab_data()
        losses = losses or lab_start.losses(self.model, s["seed"], d["X_train"], d["X_test"])
        beta = 0.0 if s["warmup"] > 0 else s["beta"]
        recon, kl = losses["recon"], losses["kl"]
        return {"step": 0, "epoch": 0, "beta": float(beta), "recon": recon, "kl": kl,
                "loss": recon + beta * kl, "neg_elbo": recon + kl,
                "test_recon": losses["test_recon"], "test_kl": losses["test_kl"],
                "test_neg_elbo": losses["test_recon"] + losses["test_kl"]}

    def _evaluation(self, epoch):
        """A generator: evaluate the subset at ``epoch`` in pieces (yields None between them),
        then append the evaluation. The rng depends only on (seed, epoch)."""
        d = lab_data()
        rng = np.random.default_rng([self.settings["seed"], epoch, 1])
        out = yield from importance.estimate_in_pieces(self.model, d["X_test"][d["subset"]],
                                                       EVAL_K, rng, EVAL_ROWS)
        n = len(d["subset"])
        se = math.sqrt(float(np.sum(out["log_px_se"] ** 2))) / n
        self.evaluations.append({"epoch": epoch,
                                 "subset_log_px": float(np.mean(out["log_px"])),
                                 "subset_elbo": float(np.mean(out["elbo"])),
                                 "subset_log_px_se": se})

    def _units(self):
        """The run's work as a generator of units of a few ms: True after a unit that ends a
        step, False after one that does not. A step that ends an epoch ends after the epoch's
        test loss and, when due, its evaluation, and only then is it counted and its epoch
        recorded: between units, what the lab shows is always a whole step's."""
        for item in self._steps:
            self._mid_step = True
            if item is PIECE:
                yield False
                continue
            if item is not None and evaluation_due(item["epoch"]):
                yield False  # the test loss is done; the evaluation is the next pieces
                for _ in self._evaluation(item["epoch"]):  # appends in its last piece: this unit
                    yield False
            self.step += 1
            if item is not None:
                self.epoch = item["epoch"]
                self.history.append({key: (int(v) if key in ("step", "epoch") else float(v))
                                     for key, v in item.items()})
            self._mid_step = False
            yield True

    def finish_step(self):
        """Do the rest of a step begun by the last chunk, if any (a pause lands on a whole step:
        its weights are then those of the step the lab shows, and a link to it replays them).
        Returns whether it did any work."""
        finished = False
        while self._mid_step:
            finished = True
            next(self._work)
        if finished:
            self.version = _next("version")
        return finished

    @property
    def done(self):
        return self.epoch >= self.settings["epochs"]

    def advance(self, ms, max_steps=None):
        """Train for about ``ms`` ms of wall time: at least one unit of work, unless done.

        A unit is a piece of a step (``_units``), so a chunk may end mid-step: what the
        lab shows then stays at the last whole step, and the next chunk goes on from
        there. No unit is begun that would end past the deadline if it took as long as
        the last one. Stops early at the target epochs or after
        ``max_steps`` steps. An epoch's record, and its evaluation when due, belong to
        the step that ends it. Returns the number of steps completed.
        """
        deadline = time.perf_counter() + ms / 1000.0
        taken = 0
        while not self.done:
            start = time.perf_counter()
            taken += next(self._work)
            if max_steps is not None and taken >= max_steps:
                break
            now = time.perf_counter()
            if now + (now - start) > deadline:  # the next unit, if like this one, would overrun
                break
        if taken:
            self.version = _next("version")
        return taken

    def memo(self, name, compute):
        """``compute()``, kept until the weights change: results shared by the lab's figures."""
        version, kept = self._memo
        if version != self.version:
            kept = {}
            self._memo = (self.version, kept)
        if name not in kept:
            kept[name] = compute()
        return kept[name]

    def encoded(self):
        """The test digits' encoder means and log variances (float64, (1000, z_dim)), labels."""
        def compute():
            d = lab_data()
            mu, log_var = self.model.encode(d["X_test"])
            return mu.astype(np.float64), log_var.astype(np.float64), d["y_test"]

        return self.memo("encoded", compute)

    def status(self):
        latest = None
        if self.epoch > 0:
            record = self.history[-1]
            latest = {key: float(record[key]) for key in _RECORD_KEYS}
        return {"step": int(self.step), "epoch": int(self.epoch),
                "epochs": int(self.settings["epochs"]),
                "steps_per_epoch": int(self.steps_per_epoch), "done": bool(self.done),
                "settings": dict(self.settings), "version": int(self.version),
                "run": int(self.run), "latest": latest, "stored_start": self.stored_start}


_lab = None


def current():
    """The current session, made with the default settings on first use."""
    global _lab
    if _lab is None:
        _lab = Lab(defaults(SETTINGS))
    return _lab


def reset(**settings):
    """Start a fresh run with these settings (checked; the rest default). Returns status."""
    global _lab
    _lab = Lab(check_all(SETTINGS, settings, "reset"))
    return _lab.status()


def advance(ms=15.0, max_steps=None):
    """Train the current run for about ``ms`` milliseconds: at least one piece of work (a
    few ms; ``Lab.advance``) unless done.

    ms: a number in [0, 60000]. max_steps: None, or a whole number >= 1 to stop
    after that many steps. Returns status.
    """
    ms = in_range("ms", ms, 0.0, 60000.0)
    if max_steps is not None:
        max_steps = whole("max_steps", max_steps, 1)
    lab = current()
    lab.advance(ms, max_steps)
    return lab.status()


def status():
    """The current run's status: a JSON-safe dict.

    Keys: "step", "epoch", "epochs", "steps_per_epoch", "done", "settings",
    "version" (rises whenever the weights change or a run starts), "run" (rises
    on each reset), "latest" (the last epoch record's recon, kl, neg_elbo,
    test_recon, test_kl, test_neg_elbo and beta; None at epoch 0) and
    "stored_start" (whether the untrained state came from ``lab_start.json``).
    """
    return current().status()


def pause():
    """Training stops in the worker; Python finishes the step under way and reports where it
    stopped. That is a few pieces (tens of ms in the browser), or, for a step that ends an
    epoch, also its test loss and evaluation: up to about a quarter of a second. Returns status."""
    current().finish_step()
    return status()


def set_epochs(epochs):
    """Change the current run's target length (the run's numbers do not depend on it).

    epochs: whole, from the epochs already completed (the run is then done) to
    2000. Returns status.
    """
    lab = current()
    epochs = check_all(SETTINGS, {"epochs": epochs}, "epochs")["epochs"]
    if epochs < lab.epoch:
        raise ParamError("epochs", f"epochs must be at least the {lab.epoch} epochs already "
                                   f"trained; press Reset to start a new run, got {epochs}")
    lab.settings["epochs"] = epochs
    return lab.status()


def use_matmul(backend):
    """Multiply with ``backend``: "numpy" or "blas" (scipy's, once ``fastblas`` is imported)."""
    layers.set_matmul_backend(backend)
    return {"matmul": layers.get_matmul_backend()}


ACTIONS = {
    "reset": reset,
    "advance": advance,
    "status": lambda: status(),
    "pause": lambda: pause(),
    "epochs": set_epochs,
    "presets": lambda: PRESETS,
    "matmul": use_matmul,
}
