"""dgm: a command-line solver for the core theory of deep generative models, and its Python API.

One function per problem of the assignment, with the command's parameters and defaults, each returning the
derivation (``.result``, ``.steps``, ``.checks``, ``.passed``, ``.to_json()``, ``.to_markdown()``,
``.to_latex()``, ``.to_html()``; typeset in Jupyter): :func:`flow_density`, :func:`vpnf_bound`,
:func:`gan_optimal`, :func:`gan_vanishing` and :func:`report` for all four. For many points at once, vectorised
over NumPy arrays: :func:`flow_log_density`, :func:`optimal_discriminator`, :func:`generator_gradients`.

``import dgm_cli`` is light: dgm_cli.api imports SymPy, NumPy and SciPy only when a function is first used.
"""

__version__ = "0.1.0"

from dgm_cli.api import *  # noqa: E402, F403 - the API's own __all__ is the one list of its public names
from dgm_cli.api import __all__ as _api_names  # noqa: E402
from dgm_cli.errors import DgmError as DgmError  # noqa: E402
from dgm_cli.errors import InputError as InputError  # noqa: E402

__all__ = sorted([*_api_names, "Derivation", "DgmError", "InputError", "__version__"])


def __getattr__(name: str):
    if name == "Derivation":  # the contract module, loaded on first use
        from dgm_cli.derivation import Derivation

        globals()[name] = Derivation
        return Derivation
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
