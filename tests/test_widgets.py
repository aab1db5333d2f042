"""The widget contract: keyword params in, {image, values, summary} out; errors as messages."""

import json

import numpy as np
import pytest

from elbo_lab import figures, widgets
from elbo_lab.gaussian import kl_to_standard_normal


def test_kl_widget_contract():
    out = widgets.kl(mu=1.5, sigma=1.0)
    assert set(out) == {"image", "values", "summary"}
    image = out["image"]
    assert len(image["rgba"]) == image["width"] * image["height"] * 4
    assert out["values"]["kl"] == pytest.approx(1.125)
    assert "KL = 1.125 nats" in out["summary"]
    json.dumps({k: v for k, v in out.items() if k != "image"})  # JSON-safe numbers and text


def test_kl_widget_redraws_when_params_change():
    a = widgets.kl(mu=0.0, sigma=1.0)["image"]["rgba"]
    b = widgets.kl(mu=1.0, sigma=0.5)["image"]["rgba"]
    assert a != b
    assert widgets.kl(mu=0.0, sigma=1.0)["image"]["rgba"] == a  # reused figure, same picture


@pytest.mark.parametrize("mu, sigma", [(0.3, 0.2), (-2.5, 2.9)])
def test_kl_widget_value_is_the_closed_form(mu, sigma):
    assert widgets.kl(mu=mu, sigma=sigma)["values"]["kl"] == kl_to_standard_normal(mu, sigma)


def test_kl_widget_draws_q_where_it_should():
    """The q curve's peak is drawn at z = mu: read the pixels back.

    The legend's swatch has the same colour, so pixels from the legend's left
    edge on are ignored (mu is negative to keep the peak clear of it).
    """
    out = widgets.kl(mu=-2.0, sigma=0.5)
    img = np.frombuffer(out["image"]["rgba"], np.uint8).reshape(out["image"]["height"], -1, 4)
    blue = (np.abs(img[..., :3].astype(int) - [0, 0x72, 0xB2]).sum(-1) < 40)
    ax = figures._FIGURES["kl"].fig.axes[0]
    blue[:, int(ax.get_legend().get_window_extent().x0):] = False
    rows, cols = np.nonzero(blue)
    top_col = cols[rows == rows.min()].mean()
    x_px = ax.transData.transform((-2.0, 0.0))[0]
    assert abs(top_col - x_px) < 4


def test_widgets_return_no_image_until_plotting_is_enabled(monkeypatch):
    monkeypatch.setattr(widgets, "_plotting", False)
    out = widgets.kl(mu=1.5, sigma=1.0)
    assert out["image"] is None and out["values"]["kl"] == pytest.approx(1.125)
    widgets.enable_plotting()
    assert widgets.kl(mu=1.5, sigma=1.0)["image"] is not None


@pytest.mark.parametrize("params, message", [
    ({"mu": 0, "sigma": -1}, "sigma must be greater than 0 (it is a standard deviation)"),
    ({"mu": float("nan"), "sigma": 1}, "mu must be a finite number"),
    ({"mu": "x", "sigma": 1}, "mu must be a number, got 'x'"),
    ({"mu": True, "sigma": 1}, "mu must be a number, not True"),
    ({"mu": 0, "tau": 1}, "bad parameters for kl"),
])
def test_call_returns_errors_as_messages(params, message):
    out = widgets.call("kl", params)
    assert set(out) == {"error"}
    assert out["error"].startswith(message)


def test_call_unknown_widget():
    assert widgets.call("nope", {}) == {"error": "unknown widget 'nope'"}
