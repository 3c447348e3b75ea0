"""The training films, replayed in the browser: the checkpoints of a real training run, one slider on the training
step. Lesson 06's (film.js) replays a gatelab.film.Film; lesson 07's identical-start film (identical_film.js) the
cached run of gatelab.specialize whose checkpoints carry its frames.

gatelab.widgets exports training_film, not its class: a notebook's saved widget state cannot rebuild lesson 06's film
from the installed package (its data is the learner's run), so front.explorer_from_state gives None for it and a
page with no kernel keeps the display's own text/html, which carries every checkpoint. Lesson 07's film replays the
package's own cache, so its class is exported and rebuilt like any explorer.
"""

import functools

from gatelab import film as films
from gatelab import specialize
from gatelab.dynamics import Setting
from gatelab.widgets.front import HERE, es_module, front_end_explorer

# The slider picks a checkpoint (0 … K − 1); the page shows its training step. Its range is the film's (__init__).
FRAME = Setting(0, 1, 1, 0, "step", "the training step whose checkpoint is shown")


class Film(front_end_explorer({"frame": FRAME})):
    """What the films share: one slider, frame (the checkpoint shown, as a synced trait), over the checkpoints of
    their constants (a dict whose "steps" lists the training step of each), which the page replays with no kernel."""

    def __init__(self, constants, frame):
        self._film = constants
        self.SETTINGS = {"frame": FRAME._replace(hi=len(constants["steps"]) - 1)}
        super().__init__(frame=frame)

    def constants(self):
        return self._film


class TrainingFilmExplorer(Film):
    """Lesson 06's film of a gatelab.film.Film (gatelab.film.constants).

    Per sentence, heatmaps of every unit's forget gate f and input gate i (units × tokens) at that checkpoint, the
    number unit's row outlined; below, the held-out accuracy and the unit's |correlation| with the number against
    the training step, a marker at the step shown. numbers() gives them from gatelab.film.numbers.
    """

    _esm = es_module(HERE / "film.js")

    def __init__(self, film, unit, frame=0):
        super().__init__(films.constants(film, unit), frame)

    def numbers(self):
        return films.numbers(self._film, self.frame)


def training_film(film, unit=None, step=0):
    """Lesson 06's training film (TrainingFilmExplorer) of film (a gatelab.film.Film) at the checkpoint of step (one
    the film recorded), the number unit outlined from the start: unit, or by default the unit whose cell state
    correlates best with the number at the last checkpoint (what lesson 06's number_unit finds)."""
    if unit is None:
        unit = film.correlations[-1].abs().argmax()
    return TrainingFilmExplorer(film, int(unit), frame=film.at(step))


class IdenticalStartFilmExplorer(Film):
    """Lesson 07's identical-start film, over the cached run of specialize.FILM_SEED.

    For one adding-problem sequence, maps of every unit's gates f, i and o (units × steps) at that checkpoint, the
    two marked steps and the unit that ends up writing at the marks outlined; below, the probe's share solved and
    the distance between the f and i blocks against the training step, a marker at the step shown. numbers() gives
    them from gatelab.film.identical_start_numbers. Its data is the installed package's cache, so a saved widget
    state rebuilds it (front.explorer_from_state), as the other explorers.
    """

    _esm = es_module(HERE / "identical_film.js")

    def __init__(self, frame=0):
        super().__init__(identical_start_constants(), frame)

    def numbers(self):
        return films.identical_start_numbers(self._film, self.frame)


@functools.cache
def identical_start_constants():
    """The film's constants, from the cached study's run of specialize.FILM_SEED (read once)."""
    (run,) = [r for r in specialize.load_results()["runs"] if r["seed"] == specialize.FILM_SEED]
    return films.identical_start_constants(run, specialize.film_sequence())


def identical_start_film(step=0):
    """Lesson 07's identical-start film (IdenticalStartFilmExplorer) at the checkpoint of step (0, 50, …, 1000)."""
    return IdenticalStartFilmExplorer(frame=identical_start_constants()["steps"].index(step))
