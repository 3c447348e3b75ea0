"""The course as a static website (`make site`): Sphinx with myst-nb, built from lessons/ with no network."""
