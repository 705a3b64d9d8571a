"""``dgm gan-vanishing --plot``: both generator gradients against the logit, and the sweep's norms against a.

Draws only what :func:`dgm_cli.solvers.gan_vanishing.figure_data` computed.
"""

from __future__ import annotations

from pathlib import Path

from dgm_cli.render.plot import require_pyplot, save_figure

Y_FLOOR = 1e-12


# Under the figure in `dgm report --figures`.
CAPTION = "Both generator gradients against the logit, and the sharpness sweep."


def draw(data, path: Path) -> None:
    """Left: −σ(h) and −σ(−h) with the batch marked. Right: ‖∇θ L‖ against the sharpness a (log-log)."""
    plt = require_pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))

    left.plot(data.curve_logits, data.curve_saturating, label="saturating: d/dh log(1 − σ(h)) = −σ(h)")
    left.plot(data.curve_logits, data.curve_nonsaturating, label="non-saturating: d/dh (−log σ(h)) = −σ(−h)")
    if data.batch_logits.size:
        left.scatter(data.batch_logits, data.batch_saturating, s=18, zorder=3, color="C0")
        left.scatter(data.batch_logits, data.batch_nonsaturating, s=18, zorder=3, color="C1", label="the batch")
    left.axhline(0.0, color="0.6", linewidth=0.8)
    title = "Derivative of the generator loss in the logit h"
    if data.batch_hidden:
        plural = "logit" if data.batch_hidden == 1 else "logits"
        title += f"\n({data.batch_hidden} {plural} outside the range not drawn)"
    left.set_title(title)
    left.set_xlabel("discriminator logit h on a generated sample (D = σ(h))")
    left.set_ylabel("d loss / dh")
    left.legend(fontsize=8, loc="center right")

    sweep = data.sweep
    if "sweep_sharpness" in sweep:
        a = sweep["sweep_sharpness"]
        right.loglog(a, sweep["sweep_grad_norm_saturating"], "o-", color="C0", label="saturating, z ~ U(−1, 1)")
        right.loglog(a, sweep["sweep_grad_norm_nonsaturating"], "o-", color="C1", label="non-saturating, z ~ U(−1, 1)")
        for loss, color in (("saturating", "C0"), ("nonsaturating", "C1")):
            label = f"{loss.replace('non', 'non-')}, z ~ N(0, 1)"
            right.loglog(a, sweep[f"sweep_gaussian_grad_norm_{loss}"], "s--", color=color, alpha=0.6, label=label)
        # The saturating norm, below e^(−a)/2, is about 2e−223 at a = 512: a floor keeps the other curves readable.
        smallest = sweep["sweep_grad_norm_saturating"]
        largest = max(float(sweep[k].max()) for k in sweep if "grad_norm" in k)
        right.set_ylim(top=largest * 1e5)  # headroom for the legend
        if smallest.min() < Y_FLOOR:
            right.set_ylim(bottom=Y_FLOOR)
            right.annotate(
                f"saturating, U(−1, 1): {smallest[-1]:.2g} at a = {a[-1]:g}, below the axis",
                xy=(0.03, 0.04),
                xycoords="axes fraction",
                fontsize=8,
                color="C0",
            )
        right.set_title("G_θ(z) = θ + z against h(x) = a(x − b)")
        right.set_xlabel("discriminator sharpness a")
        right.set_ylabel("‖∇θ L‖")
        right.legend(fontsize=8, loc="upper left")
    else:
        right.set_axis_off()
    figure.tight_layout()
    save_figure(figure, path)
