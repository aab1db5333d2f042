"""The page's figures: one module per figure, listed here in page order, and how to run one.

A figure module ``widgets/<name>.py`` holds everything about figure <name>:

- ``PARAMS``: its parameters as data (``params.py``): the checks in Python, and
  the controls that ``scripts/build_page.py`` writes into the page;
- ``compute(**params) -> (values, summary, arrays)``: its numbers (a JSON-safe
  dict), one sentence for screen readers, and the arrays it draws (a dict, or
  None for a figure without a picture);
- ``build(agg)`` and ``draw(agg, view, **arrays)``: its matplotlib figure, made
  once and then updated (``plotting``); omitted by a figure without a picture;
- optionally ``cache_key(**params) -> (scope, key)`` (and ``CACHE_SIZE``): its
  results are kept while ``scope`` is unchanged (the lab's figures: the weights);
- optionally ``DRAG = (x, y)``: two parameters that a pointer on the axes
  ``view.drag_axes`` sets (the answer then says where those axes are: "axes").

The word <name> is also the figure's DOM id, URL key, embed name and test id.
``run`` is the only way in: the door calls it for every figure request.
"""

from collections import OrderedDict

from .. import plotting, pretrained, session
from ..checks import ParamError
from ..params import check_all
from . import (
    architecture,
    decode_at,
    derivation,
    draw,
    dynamics,
    generate,
    kl,
    kl_direction,
    kl_mc,
    lab_curves,
    lab_latent,
    lab_posterior,
    lab_recon,
    lab_units,
    latent,
    posterior,
    reparam,
    tension,
)

__all__ = ["FIGURES", "figure", "needs_data", "run"]

FIGURES = {module.__name__.rpartition(".")[2]: module for module in (
    generate, decode_at, posterior, architecture, reparam, derivation, draw, kl, kl_mc, tension,
    kl_direction, latent, dynamics, lab_curves, lab_latent, lab_recon, lab_units, lab_posterior,
)}

_kept = {}  # figure name -> (scope, OrderedDict of key -> result), for figures with cache_key


def figure(name):
    """The module of figure ``name``, else ParamError("figure", "unknown figure ...")."""
    module = FIGURES.get(name) if isinstance(name, str) else None
    if module is None:
        raise ParamError("figure", f"unknown figure {name!r}; the figures are "
                                   f"{', '.join(FIGURES)}")
    return module


def needs_data(name):
    """Whether figure ``name`` reads the stored digits or weights (the package's .npz files):
    whether its module uses ``pretrained`` or ``session``."""
    return any(value is pretrained or value is session for value in vars(figure(name)).values())


def run(name, /, **params):
    """Figure ``name`` at ``params``: ``{"image", "values", "summary"}``.

    image: ``{"width", "height", "rgba"}`` (RGBA bytes), or None while no drawing
    backend is installed or for a figure without a picture. A bad parameter raises
    ``ParamError`` naming it; nothing else is expected to raise.
    """
    module = figure(name)
    checked = check_all(module.PARAMS, params, name)
    key_fn = getattr(module, "cache_key", None)
    if key_fn is None:
        return _answer(name, module, checked)
    if plotting.enabled() and plotting.view(name) is None and hasattr(module, "draw"):
        _kept.pop(name, None)  # its figure was dropped (a new theme): draw afresh, keep a view
    scope, key = key_fn(**checked)
    key = (key, plotting.enabled(), plotting.get_theme(), plotting.get_layout())  # what else the image depends on
    held = _kept.get(name)
    if held is None or held[0] != scope:
        held = _kept[name] = (scope, OrderedDict())
    results = held[1]
    if key in results:
        results.move_to_end(key)
        return results[key]
    result = results[key] = _answer(name, module, checked)
    if len(results) > getattr(module, "CACHE_SIZE", 1):
        results.popitem(last=False)
    return result


def _answer(name, module, checked):
    values, summary, arrays = module.compute(**checked)
    image = None
    if arrays is not None and plotting.enabled():
        image = plotting.render(name, module.build, module.draw, arrays)
    result = {"image": image, "values": values, "summary": summary}
    if image is not None and getattr(module, "DRAG", None):
        result["axes"] = plotting.axes_box(name, *module.DRAG)
    return result
