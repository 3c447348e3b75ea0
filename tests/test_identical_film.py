"""Does lesson 07's identical-start film (gatelab.widgets.identical_start_film) replay what gatelab.specialize
recorded, and does the lesson say what it shows?

The cached run of specialize.FILM_SEED carries, at every checkpoint, one sequence's gate maps; a short rerun records
the same maps; the film's numbers are the maps', read back from hundredths; the lesson's words are its numbers.
"""

import pytest
import torch

from gatelab import film, specialize, widgets
from gatelab.widgets.front import explorer_from_state
from tests.course import lesson_prose


@pytest.fixture(scope="module")
def results():
    return specialize.load_results()


def film_run(results):
    (run,) = [r for r in results["runs"] if r["seed"] == specialize.FILM_SEED]
    return run


def test_hundredths_are_two_digits_per_value_read_back_to_the_nearest_hundredth():
    values = torch.tensor([[0.0, 0.004, 0.006], [0.5, 0.994, 1.0]])
    text = specialize.hundredths(values)
    assert text == "000001509999"  # 1.00 is written 99: two digits per value
    assert film.from_hundredths(text, 3) == [[0.0, 0.0, 0.01], [0.5, 0.99, 0.99]]


def test_only_the_films_run_carries_frames_at_every_checkpoint(results):
    sequence = specialize.film_sequence()
    T, H = sequence.x.shape[1], results["config"]["n_h"]
    assert (T, sequence.x[0, :, 1].eq(1).nonzero().flatten().tolist()) == (specialize.LAG, [2, 8])
    for run in results["runs"]:
        frames = [c.get("film") for c in run["checkpoints"]]
        if run["seed"] != specialize.FILM_SEED:
            assert frames == [None] * len(frames)
            continue
        for frame in frames:
            assert set(frame["gates"]) == set(specialize.GATES)
            assert all(len(text) == 2 * T * H and text.isdigit() for text in frame["gates"].values())


def test_a_short_rerun_records_the_cached_frames(results):
    """The first 100 steps again: the same maps, to a hundredth (another CPU may round a last digit otherwise)."""
    seed, steps = specialize.FILM_SEED, 2 * specialize.EVERY
    again, _ = specialize.fit(specialize.build(seed), seed, steps)
    cached = film_run(results)["checkpoints"][: len(again)]
    for now, then in zip(again, cached, strict=True):
        assert now["film"]["answer"] == pytest.approx(then["film"]["answer"], abs=1e-4)
        for g in specialize.GATES:
            a, b = (torch.tensor(film.from_hundredths(c["film"]["gates"][g], 16)) for c in (now, then))
            assert (a - b).abs().max() <= 0.0101


def test_the_film_recorded_the_gates_the_network_computes(results):
    """Step 0 is the freshly built network: its gates on the sequence, in hundredths, are the first frame."""
    net, sequence = specialize.build(specialize.FILM_SEED), specialize.film_sequence()
    _, gates = net.run(sequence.x)
    first = film_run(results)["checkpoints"][0]["film"]
    for g in specialize.GATES:
        recorded = torch.tensor(film.from_hundredths(first["gates"][g], net.n_h))
        assert (recorded - gates[g][0].clamp(max=0.99)).abs().max() <= 0.005 + 1e-6


def unit_means_by_hand(q, unit, marks):
    """(marked, other) means of the unit's gates, from the (T, H) maps q gives."""
    other = [t for t in range(len(q["f"])) if t not in marks]
    maps = {g: torch.tensor(q[g], dtype=torch.float64) for g in specialize.GATES}
    return [{g: maps[g][steps, unit].mean().item() for g in specialize.GATES} for steps in (marks, other)]


def test_the_explorer_shows_each_checkpoint(results):
    run = film_run(results)
    explorer = widgets.identical_start_film(step=400)
    k = explorer.constants()
    assert explorer.values() == {"frame": 8} and explorer.sliders["frame"].max == len(run["checkpoints"]) - 1
    q = explorer.numbers()
    c = specialize.at_step(run, 400)
    assert (q["step"], q["solved"], q["mse"], q["answer"]) == (400, c["solved"], c["mse"], c["film"]["answer"])
    assert q["distance"] == {pair: round(d, 4) for pair, d in c["distance"].items()}
    marked, other = unit_means_by_hand(q, k["unit"], k["marks"])
    assert q["marked"] == pytest.approx(marked, abs=1e-12) and q["other"] == pytest.approx(other, abs=1e-12)
    explorer.sliders["frame"].value = 99  # clamped to the last checkpoint
    assert explorer.numbers()["step"] == specialize.STEPS
    assert len(explorer._repr_mimebundle_()[0]["text/html"]) < 100_000  # the grader keeps 100 000 characters
    again = explorer_from_state(explorer.get_state())  # the package's own cache: a saved state rebuilds it
    assert isinstance(again, widgets.IdenticalStartFilmExplorer) and again.values() == explorer.values()


def test_the_outlined_unit_writes_at_the_marks_most_at_the_end():
    explorer = widgets.identical_start_film(step=specialize.STEPS)
    k, q = explorer.constants(), explorer.numbers()

    def contrast(unit):
        marked, other = unit_means_by_hand(q, unit, k["marks"])
        return marked["i"] - other["i"] + other["f"] - marked["f"]

    assert k["unit"] == film.writer_unit(k, len(k["steps"]) - 1) == max(range(k["units"]), key=contrast)


def test_lesson_07_says_what_the_film_shows():
    explorer = widgets.identical_start_film()
    k = explorer.constants()
    frames = {}
    for frame, step in enumerate(k["steps"]):
        explorer.frame = frame
        frames[step] = explorer.numbers()

    def span(values):
        return f"{min(values):.2f} to {max(values):.2f}"

    assert frames[0]["f"] == frames[0]["i"] == frames[0]["o"]
    plateau = [frames[s] for s in range(50, 301, 50)]
    assert all(q["f"] != q["i"] for q in plateau)
    assert all(0.10 <= q["solved"] <= 0.15 for q in plateau)
    at_marks = [v for q in plateau for v in q["marked"].values()]
    elsewhere = [v for q in plateau for v in q["other"].values()]
    q400, q1000 = frames[400], frames[1000]
    late = [frames[s] for s in range(450, 1001, 50)]
    moves = [max(q[s][g] for q in late) - min(q[s][g] for q in late) for s in ("marked", "other") for g in "fi"]
    assert max(moves) <= 0.05
    distance = k["distance"]["f-i"]
    assert distance[k["steps"].index(300)] < 0.5 < 1.4 < distance[k["steps"].index(400)]
    assert q1000["solved"] == 1.0
    averaged = [m for run in specialize.load_results()["runs"] for c in run["checkpoints"]
                for g in c["gates"].values() for m in g.values()]  # fmt: skip
    assert 0.35 < min(averaged) and max(averaged) < 0.65  # "averaged over the 16 units ... near 0.5"
    says = [
        "each of its 16 units'",
        "The two marked steps, 2 and 8, are outlined, and so is unit 7,",
        f"{span([q['answer'] for q in plateau])} on this sequence, whose target is {k['target']:.2f}",
        "between 10 % and 15 % of the probe sequences",
        f"its three gates are {span(at_marks)} at the marks and {span(elsewhere)} at the other steps",
        f"At step 400 it solves {100 * q400['solved']:.0f} % of the probe sequences and answers {q400['answer']:.2f}",
        f"unit 7's $i$ is {q400['marked']['i']:.2f} and its $f$ {q400['marked']['f']:.2f}, at the other steps $i$ is "
        f"{q400['other']['i']:.2f} and $f$ {q400['other']['f']:.2f}",
        f"Unit 7 at the marks: $i$ {q1000['marked']['i']:.2f}, $f$ {q1000['marked']['f']:.2f} (and $o$ "
        f"{q1000['marked']['o']:.2f}); at the other steps: $i$ {q1000['other']['i']:.2f}, "
        f"$f$ {q1000['other']['f']:.2f}",
        "From step 450 on, none of these moves by more than 0.05",
        "its unit 7 took its role between steps 300 and 400",  # the summary: no role up to 300 (above), one at 400
    ]
    assert all(q["marked"]["f"] >= q["other"]["f"] for q in plateau)  # no role: its f no lower at the marks
    assert q400["marked"]["i"] > q400["other"]["i"] and q400["marked"]["f"] < q400["other"]["f"]
    assert k["unit"] == 7 and k["marks"] == [2, 8]
    prose = lesson_prose("07-why-gates-specialize")
    assert [said for said in says if said not in prose] == []
