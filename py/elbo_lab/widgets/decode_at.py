"""The pretrained beta = 1 VAE's decoded mean image at one latent point (z1, z2).

The point can be dragged on the latent plane (``DRAG``) as well as set by the sliders.

values: z1, z2, log_prior = log N(z; 0, I) in nats.
"""

import math

import numpy as np

from .. import pretrained
from ..gaussian import log_std_normal
from ..params import Real
from ..plotting.theme import THEME
from ..plotting.tiles import SIDE

PARAMS = (
    Real("z1", 0.0, "z₁, first latent coordinate", "dec-z1", lo=-3.0, hi=3.0, short="z₁"),
    Real("z2", 0.0, "z₂, second latent coordinate", "dec-z2", lo=-3.0, hi=3.0, short="z₂"),
)

DRAG = ("z1", "z2")


def compute(z1, z2):
    z = np.array([[z1, z2]])
    image = pretrained.model("beta1").decode(z)[0]
    log_prior = float(log_std_normal(z)[0])
    radius = math.hypot(z1, z2)
    summary = (f"The decoder's image at z = ({z1:.2f}, {z2:.2f}), {radius:.2f} prior "
               f"standard deviations from the centre, where log p(z) = {log_prior:.2f} nats.")
    return {"z1": z1, "z2": z2, "log_prior": log_prior}, summary, {"z": z[0], "image": image}


def build(agg):
    fig, (plane, digit) = agg.panels((640, 320), [(0.08, 0.14, 0.4, 0.8), (0.58, 0.1, 0.36, 0.8)],
                                     narrow_height=4.6, height_ratios=(3, 2))
    agg.latent_plane(plane)
    agg.digit_axes(digit)
    marker, = plane.plot([0], [0], "o", ms=10, color=THEME["q"], mec=THEME["background"],
                         mew=1.5, zorder=3)
    picture = digit.imshow(np.zeros((SIDE, SIDE)), cmap=agg.grey_cmap(), vmin=0, vmax=1,
                           interpolation="nearest")
    digit.set_title("decoded mean image", fontsize=THEME["font_size"] - 1, color=THEME["text"])
    view = agg.Blitted(fig, [marker, picture])
    view.drag_axes = plane
    return view


def draw(agg, view, z, image):
    """Left: the latent plane with a marker at z. Right: the decoded digit, large."""
    marker, picture = view.live
    marker.set_data([z[0]], [z[1]])
    agg.set_pixels(picture, image.reshape(SIDE, SIDE))
    return view.render(layer_key=0)
