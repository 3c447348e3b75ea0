"""Lesson 06's training film, replayed in the browser (film.js): the checkpoints of a real training run (a
gatelab.film.Film), one slider on the training step.

gatelab.widgets exports training_film, not the class: a notebook's saved widget state cannot rebuild a film from
the installed package (its data is a run, not the package's), so front.explorer_from_state gives None for it and a
page with no kernel keeps the display's own text/html, which carries every checkpoint.
"""

from gatelab import film as films
from gatelab.dynamics import Setting
from gatelab.widgets.front import HERE, es_module, front_end_explorer

# The slider picks a checkpoint (0 … K − 1); the page shows its training step. Its range is the film's (__init__).
FRAME = Setting(0, 1, 1, 0, "step", "the training step whose checkpoint is shown")


class TrainingFilmExplorer(front_end_explorer({"frame": FRAME})):
    """One slider, frame (the checkpoint shown, as a synced trait); the film's checkpoints are its constants, so
    the page replays them with no kernel.

    Per sentence, heatmaps of every unit's forget gate f and input gate i (units × tokens) at that checkpoint, the
    number unit's row outlined; below, the held-out accuracy and the unit's |correlation| with the number against
    the training step, a marker at the step shown. numbers() gives them from gatelab.film.numbers.
    """

    _esm = es_module(HERE / "film.js")

    def __init__(self, film, unit, frame=0):
        self._film = films.constants(film, unit)
        self.SETTINGS = {"frame": FRAME._replace(hi=len(self._film["steps"]) - 1)}
        super().__init__(frame=frame)

    def constants(self):
        return self._film

    def numbers(self):
        return films.numbers(self._film, self.frame)


def training_film(film, unit=None, step=0):
    """Lesson 06's training film (TrainingFilmExplorer) of film (a gatelab.film.Film) at the checkpoint of step (one
    the film recorded), the number unit outlined from the start: unit, or by default the unit whose cell state
    correlates best with the number at the last checkpoint (what lesson 06's number_unit finds)."""
    if unit is None:
        unit = film.correlations[-1].abs().argmax()
    return TrainingFilmExplorer(film, int(unit), frame=film.at(step))
