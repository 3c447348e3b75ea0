# Sphinx configuration of the course site (website/build.py copies it into the staged source and runs Sphinx).
# Everything the pages load is served from the site: the book theme's own static files, the math as MathML
# (website/mathml.py, no MathJax), the explorers inlined in their pages (no widget renderer from a CDN).
# Sphinx runs in website.build's process, where the repository's packages are importable.
project = "Gates: GRU and LSTM, step by step"
author = "the Gates course"
copyright = "the Gates course"
extensions = ["myst_nb", "website.mathml"]
html_math_renderer = "mathml"
myst_enable_extensions = ["dollarmath", "amsmath"]
nb_execution_mode = "off"  # website/build.py has run each lesson already
nb_ipywidgets_js = {}  # no widget renderer from a CDN: the explorers run inline
nb_merge_streams = True
exclude_patterns = ["_build"]
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_title = "Gates: GRU and LSTM, step by step"
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["gates.css"]
html_js_files = ["gates.js"]
html_context = {"default_mode": "light"}  # the theme logs an error on a first visit when this is unset
html_copy_source = False  # the pages, not their notebooks
html_show_sourcelink = False
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
}
html_last_updated_fmt = None
