"""The figure of ``dgm vpnf-bound --plot``: the counterexample with B and the largest possible A, and the bound
against ε.

Everything drawn comes from the solver (:mod:`dgm_cli.solvers.vpnf`); nothing is computed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dgm_cli.render.plot import require_pyplot, save_figure

# Under the figure in `dgm report --figures`.
CAPTION = "The counterexample with B and the largest A, and the Pinsker bounds against epsilon."


# Long by one figure's drawing calls, in the order they are drawn; no logic.
def draw(data: dict[str, Any], path: Path) -> None:
    plt = require_pyplot()
    from matplotlib.patches import Circle, Rectangle

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5.2))

    axis = data["axis"]
    image = left.imshow(
        data["density"],
        extent=(axis[0], axis[-1], axis[0], axis[-1]),
        origin="lower",
        cmap="viridis",
        interpolation="nearest",
    )
    figure.colorbar(image, ax=left, label="p(x, y), normalised")
    left.add_patch(
        Rectangle((-0.5, -0.5), 1.0, 1.0, fill=False, edgecolor="white", linewidth=1.5, label="B = [−½, ½]²")
    )
    left.add_patch(
        Circle(
            (0.0, 0.0),
            data["largest_A_radius"],
            fill=False,
            edgecolor="tab:red",
            linestyle="--",
            linewidth=1.5,
            label=f"largest A (area {data['volume_A_upper_bound']:.3g}), z ↦ √c*·z",
        )
    )
    left.set_title(f"Counterexample, k = {data['k']:.4g}, h = {data['plateau']:.4g}, ε = {data['eps']:.4g}")
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.legend(loc="upper right", fontsize=8, framealpha=0.8)

    eps_grid = data["eps_grid"]
    right.plot(eps_grid, data["kl_lower_bound"], color="tab:blue", label="KL ≥ 2δ², every constant |det|")
    right.plot(eps_grid, data["kl_lower_bound_vp"], color="tab:orange", label="KL ≥ 2δ², volume-preserving (c = 1)")
    right.axhline(
        data["kl_gaussian_upper"],
        color="tab:blue",
        linestyle=":",
        label="achieved: best isotropic Gaussian flow (c = σ²)",
    )
    right.axhline(
        data["kl_gaussian_vp"], color="tab:orange", linestyle=":", label="achieved: N(0, I), the best affine c = 1 flow"
    )
    right.axvline(data["eps"], color="grey", linestyle="--", linewidth=1, label=f"chosen ε = {data['eps']:.4g}")
    if data["best_eps"] is not None:
        right.axvline(
            data["best_eps"], color="tab:blue", linestyle="--", linewidth=1, label=f"best ε = {data['best_eps']:.4g}"
        )
    if data["best_eps_vp"] > 0:
        right.axvline(
            data["best_eps_vp"],
            color="tab:orange",
            linestyle="--",
            linewidth=1,
            label=f"best ε for c = 1 = {data['best_eps_vp']:.4g}",
        )
    right.set_yscale("symlog", linthresh=1e-4)
    highest = max(data["kl_gaussian_vp"], data["kl_gaussian_upper"], float(data["kl_lower_bound_vp"].max()))
    right.set_ylim(0.0, 2.0 * highest)
    right.set_xlabel("ε")
    right.set_ylabel("lower bound on KL(p‖p_θ)")
    right.set_title("Pinsker lower bounds against ε")
    right.legend(fontsize=8)
    figure.tight_layout()
    save_figure(figure, path)
