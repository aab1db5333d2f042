"""The pretrained beta = 1 VAE's layer sizes, for the page's diagram (numbers only).

values: x_dim (pixels), hidden (units per hidden layer), z_dim, n_params (weights
and biases), activation (its name). The page draws the diagram in HTML.
"""

from .. import pretrained

PARAMS = ()


def compute():
    vae = pretrained.model("beta1")
    values = {"x_dim": int(vae.x_dim), "hidden": int(vae.hidden), "z_dim": int(vae.z_dim),
              "n_params": int(vae.flat.size), "activation": str(vae.activation.name)}
    summary = (f"The encoder maps {values['x_dim']} pixels through {values['hidden']} "
               f"{values['activation']} units to the mean and log variance of a "
               f"{values['z_dim']}-dimensional z; the decoder maps z through "
               f"{values['hidden']} units back to {values['x_dim']} pixel probabilities; "
               f"{values['n_params']:,} parameters in all.")
    return values, summary, None
