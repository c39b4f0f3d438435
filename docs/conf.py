"""Sphinx configuration for skdistill.

Build from the repository root with warnings as errors::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The build needs no network. Intersphinx links to scikit-learn, NumPy and Python
are only resolved when ``SKDISTILL_DOCS_OFFLINE=0`` is set (e.g. in CI with
internet access); by default the docs build offline.

The example gallery (``docs/examples/plot_*.py``, rendered into
``docs/auto_examples/``) is executed during the build, which needs the ``all``
extra (LightGBM, ONNX, skops, treelite, pandas, matplotlib) and takes a few
minutes on two cores. For a quick build of the text alone, skip the execution
with ``-D plot_gallery=0``.
"""

import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the in-tree package, even if not installed

import importlib  # noqa: E402

import skdistill  # noqa: E402

#: Public modules whose ``__all__`` must be listed in api.rst (missing ones skipped).
PUBLIC_MODULES = [
    "skdistill",
    "skdistill.strategies",
    "skdistill.report",
    "skdistill.transfer",
    "skdistill.export",
    "skdistill.cli",
]

# -- Project -------------------------------------------------------------------------

project = "skdistill"
author = "skdistill developers"
copyright = "skdistill developers"  # noqa: A001
release = skdistill.__version__
version = re.match(r"\d+\.\d+", release).group(0)

# -- Extensions ----------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
# examples/ holds the gallery's sources (its README.rst included); sphinx-gallery
# turns them into auto_examples/, which Sphinx reads instead.
exclude_patterns = ["_build", "examples", "README.md", "Thumbs.db", ".DS_Store"]
default_role = "literal"

# autosummary writes one page per public object into docs/generated/ (gitignored).
autosummary_generate = True
autodoc_typehints = "none"

# numpydoc renders Parameters/Attributes/...; members are listed by our templates.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False


# -- Example gallery -----------------------------------------------------------------

# Figures are drawn off screen, whatever the machine's default backend.
os.environ.setdefault("MPLBACKEND", "Agg")

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    # Execute every plot_*.py (the default pattern matches a "plot" prefix only).
    "filename_pattern": re.escape(os.sep) + r"plot_.*\.py$",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    # Links from the examples' code to the API reference, and the files that
    # ".. minigallery::" directives would read (under docs/generated/, gitignored).
    "doc_module": ("skdistill",),
    "backreferences_dir": str(Path("generated") / "backreferences"),
    "image_scrapers": ("matplotlib",),
    # Report the examples that take long enough to be worth watching.
    "min_reported_time": 10,
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    # No binder, no JupyterLite: nothing in the gallery reaches the network.
    "binder": {},
    "jupyterlite": {},
    # A failing example fails the build (under -W as without it).
    "only_warn_on_example_error": False,
}


# -- Intersphinx (offline by default) ------------------------------------------------

OFFLINE = os.environ.get("SKDISTILL_DOCS_OFFLINE", "1").lower() not in {"0", "false", "no"}
if OFFLINE:
    # Fetching inventories without network emits warnings, which -W turns into errors.
    intersphinx_mapping = {}
else:
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
    }

# -- HTML ----------------------------------------------------------------------------

try:
    import pydata_sphinx_theme  # noqa: F401
except ImportError:
    html_theme = "alabaster"
    html_theme_options = {}
else:
    html_theme = "pydata_sphinx_theme"
    html_theme_options = {
        "navigation_with_keys": False,
        "show_toc_level": 2,
    }
html_title = f"skdistill {release}"
html_static_path = []
html_show_sourcelink = False


# -- Check: the API reference lists every public name ---------------------------------


def _check_api_listing(app):
    """Warn (an error under -W) if a name in an ``__all__`` is missing from api.rst."""
    from sphinx.util import logging

    logger = logging.getLogger("skdistill.docs")
    text = (HERE / "api.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\s{3,}([A-Za-z_][\w.]*)\s*$", text, flags=re.MULTILINE))
    for module_name in PUBLIC_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        for name in module.__all__:
            if name.startswith("__"):
                continue  # __version__
            if name not in listed and f"{module_name}.{name}" not in listed:
                logger.warning(
                    "%s.%s is in __all__ but not in docs/api.rst; add it to an "
                    "autosummary table there.",
                    module_name,
                    name,
                    location="api",
                )


# The set_{method}_request methods that scikit-learn generates for metadata routing
# carry docstrings with :term:/:ref: targets that exist only in scikit-learn's own
# docs (glossary "meta-estimator", label "metadata_routing"), which fail under -W
# here. They are scikit-learn's API, documented there; leave them out.
_SKLEARN_REQUEST_METHOD = re.compile(r"^set_\w+_request$")


def _skip_member(app, what, name, obj, skip, options):
    if _SKLEARN_REQUEST_METHOD.match(name):
        return True
    return None


# Methods inherited from scikit-learn (score, get_params, get_metadata_routing, ...)
# keep their docstrings, whose :ref:/:term: targets (e.g. "accuracy_score",
# "metadata_routing") live in scikit-learn's own docs. Render those as plain text, so
# the build does not depend on scikit-learn's inventory (nor on the network).
_SKLEARN_XREF = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^`>]*>)?`")


def _plain_sklearn_xrefs(app, what, name, obj, options, lines):
    if not getattr(obj, "__module__", "").startswith("sklearn."):
        return
    for i, line in enumerate(lines):
        lines[i] = _SKLEARN_XREF.sub(r"\1", line)


def setup(app):
    app.connect("autodoc-process-docstring", _plain_sklearn_xrefs, priority=100)
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("builder-inited", _check_api_listing)
