"""dgm: a command-line solver for the core theory of deep generative models, and its Python API.

One function per problem of the assignment, with the command's parameters and defaults, each returning the
derivation (``.result``, ``.steps``, ``.checks``, ``.passed``, ``.to_json()``, ``.to_markdown()``,
``.to_latex()``, ``.to_html()``; typeset in Jupyter): :func:`flow_density`, :func:`vpnf_bound`,
:func:`gan_optimal`, :func:`gan_vanishing` and :func:`report` for all four. For many points at once, vectorised
over NumPy arrays: :func:`flow_log_density`, :func:`optimal_discriminator`, :func:`generator_gradients`.

``import dgm_cli`` is light: the API (and SymPy, NumPy, SciPy) loads when a function is first used.
"""

__version__ = "0.1.0"

# name -> the module that defines it, imported on first use (PEP 562)
_LAZY = {
    "flow_density": "dgm_cli.api",
    "vpnf_bound": "dgm_cli.api",
    "gan_optimal": "dgm_cli.api",
    "gan_vanishing": "dgm_cli.api",
    "report": "dgm_cli.api",
    "Report": "dgm_cli.api",
    "flow_log_density": "dgm_cli.api",
    "optimal_discriminator": "dgm_cli.api",
    "generator_gradients": "dgm_cli.api",
    "Derivation": "dgm_cli.derivation",
    "DgmError": "dgm_cli.errors",
    "InputError": "dgm_cli.errors",
}

__all__ = [
    "Derivation",
    "DgmError",
    "InputError",
    "Report",
    "__version__",
    "flow_density",
    "flow_log_density",
    "gan_optimal",
    "gan_vanishing",
    "generator_gradients",
    "optimal_discriminator",
    "report",
    "vpnf_bound",
]


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # looked up once
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
