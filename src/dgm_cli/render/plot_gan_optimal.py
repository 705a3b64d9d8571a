"""The figure of ``dgm gan-optimal --plot FILE``: p_data, p_g and D* on one figure, the fitted discriminator overlaid.

Densities on the left axis, discriminators (in [0, 1]) on the right. Every
array comes from :func:`dgm_cli.solvers.gan_optimal.figure_data`; nothing is
computed here.
"""

from __future__ import annotations

from pathlib import Path

from dgm_cli.render.plot import require_pyplot, save_figure

# Under the figure in `dgm report --figures`.
CAPTION = "p_data, p_g, the optimal discriminator D* and a fitted one."


def draw(figure_data, path: Path) -> None:
    plt = require_pyplot()
    figure, density_axis = plt.subplots(figsize=(8, 4.8))
    discriminator_axis = density_axis.twinx()
    d = figure_data
    if d.discrete:
        width = 0.38
        density_axis.bar(d.x - width / 2, d.p_data, width, color="tab:blue", alpha=0.55, label=d.data_label)
        density_axis.bar(d.x + width / 2, d.p_g, width, color="tab:orange", alpha=0.55, label=d.gen_label)
        discriminator_axis.plot(d.x, d.d_star, "o", color="black", markersize=7, label="D* = p_data/(p_data + p_g)")
        discriminator_axis.plot(
            d.x, d.d_fit, "x", color="tab:red", markersize=9, label="fitted D (one logit per category)"
        )
        density_axis.set_xticks(d.x if len(d.x) <= 30 else d.x[:: max(1, len(d.x) // 20)])
        density_axis.set_xlabel("category k")
        density_axis.set_ylabel("probability")
    else:
        density_axis.plot(d.x, d.p_data, color="tab:blue", label=d.data_label)
        density_axis.plot(d.x, d.p_g, color="tab:orange", label=d.gen_label)
        discriminator_axis.plot(d.x, d.d_star, color="black", linewidth=2.2, label="D* = p_data/(p_data + p_g)")
        discriminator_axis.plot(d.x, d.d_fit, "--", color="tab:red", linewidth=1.4, label="fitted D (logistic)")
        discriminator_axis.plot(
            d.points, d.d_star_points, "o", color="black", markersize=5, label="D* at the points (--x)"
        )
        density_axis.set_xlabel("x")
        density_axis.set_ylabel("density")
    density_axis.set_ylim(bottom=0)
    discriminator_axis.set_ylim(-0.02, 1.02)
    discriminator_axis.set_ylabel("discriminator")
    handles = density_axis.get_legend_handles_labels()[0] + discriminator_axis.get_legend_handles_labels()[0]
    labels = density_axis.get_legend_handles_labels()[1] + discriminator_axis.get_legend_handles_labels()[1]
    # Below the axes, where it cannot hide a curve.
    density_axis.legend(
        handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8, frameon=False
    )
    density_axis.set_title("The optimal discriminator D* and a fitted one")
    save_figure(figure, path)
