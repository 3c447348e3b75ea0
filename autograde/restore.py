"""Restore: put back in a learner's notebook, by cell id, what the release fixes and the learner may not change.

nbgrader itself restores a locked cell's source and a test's points (OverwriteCells). This step runs
before it, on the staged copy, and does what nbgrader does not do, or does wrongly:

- match_ids: a cell whose id the release does not know, but whose grade_id it does, takes that cell's id
  (a notebook copied cell by cell into a new one, or saved by a tool that writes no ids: nbformat 4.4);
- restore_metadata: nbgrader metadata and cell types come back from the release; nbgrader metadata on the
  learner's own cells is dropped (a forged grade_id or points never counts);
- restore_locked_cells: released locked code cells (setup, tests) that were deleted are put back, each
  right after the cells that precede it in the release. (nbgrader 0.9.6's `add_missing_cells` puts a
  deleted test after the cell before it in the release, but looks that cell up among graded and solution
  cells only: when it is markdown or setup it raises KeyError and the whole notebook scores 0.)
- restore_order: a test cell runs after every released code cell (other tests aside) that precedes it in
  the release: its solution, the setup, the "try it" cells. Only tests move, and only down: the learner's
  own cells keep their order, so a test never runs earlier than the learner had it, nor before the
  function it tests is defined. (A helper the learner defined below the tests stays there: the tests fail
  as they do in the learner's own Run All.)

Each change is a note; with_notes puts them in a markdown cell at the top of the notebook.
"""

import copy

import nbformat

NOTE_CELL_ID = "grader-notes"


def nbgrader_meta(cell):
    """The cell's nbgrader metadata ({} when it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test(cell):
    """Is the cell an autograded test (a code cell with points)?"""
    return bool(nbgrader_meta(cell).get("grade")) and cell.cell_type == "code"


def label(cell):
    """How notes name a cell: its grade_id, else its id."""
    return nbgrader_meta(cell).get("grade_id") or cell.get("id")


def restore(nb, reference):
    """nb's cell ids, metadata, locked cells and test order restored from the released notebook; return notes."""
    match_ids(nb, reference)
    notes = restore_metadata(nb, reference)
    notes += restore_locked_cells(nb, reference)
    notes += restore_order(nb, reference)
    return notes + test_cell_notes(nb, reference)


def match_ids(nb, reference):
    """Give each cell of nb whose id the release lacks the id of the released cell with its grade_id."""
    if nb.nbformat_minor < 5:  # ids came with nbformat 4.5
        nb.nbformat_minor = 5
    released = {nbgrader_meta(c)["grade_id"]: c.id for c in reference.cells if nbgrader_meta(c).get("grade_id")}
    known = {c.id for c in reference.cells}
    present = {c.get("id") for c in nb.cells}
    for cell in nb.cells:
        want = released.get(nbgrader_meta(cell).get("grade_id"))
        if cell.get("id") not in known and want and want not in present:
            cell.id = want
            present.add(want)
        elif not cell.get("id"):
            cell.id = nbformat.v4.nbbase.random_cell_id()


def restore_metadata(nb, reference):
    """Put back nbgrader metadata and cell types from the released notebook, by cell id; return notes."""
    by_id = {c.get("id"): c for c in reference.cells}
    notes = []
    for cell in nb.cells:
        original = by_id.get(cell.get("id"))
        meta = cell.get("metadata", {}).get("nbgrader")
        if original is None:
            if meta:
                notes.append(f"a cell added by you carried nbgrader metadata ({meta.get('grade_id')}): removed")
                del cell.metadata["nbgrader"]
            continue
        want = original.get("metadata", {}).get("nbgrader")
        if want and (meta or {}) != want:
            changed = sorted(k for k in set(want) | set(meta or {}) if (meta or {}).get(k) != want.get(k))
            notes.append(f"cell `{want.get('grade_id')}`: nbgrader metadata ({', '.join(changed)}) restored")
            cell.metadata["nbgrader"] = copy.deepcopy(want)
        if want and cell.cell_type != original.cell_type:
            notes.append(f"cell `{want.get('grade_id')}`: cell type restored to {original.cell_type}")
            cell.cell_type = original.cell_type
            cell.pop("outputs", None), cell.pop("execution_count", None), cell.pop("attachments", None)
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
    nb.metadata["kernelspec"] = copy.deepcopy(reference.metadata.get("kernelspec", {}))
    return notes


def position_after(nb, ids):
    """The index just after the last cell of nb whose id is in ids (0 when none is)."""
    return max((i + 1 for i, c in enumerate(nb.cells) if c.get("id") in ids), default=0)


def restore_locked_cells(nb, reference):
    """Put back the released locked code cells missing from nb, each after the code cells before it in the release."""
    present = {c.get("id") for c in nb.cells}
    notes = []
    for i, original in enumerate(reference.cells):
        if original.cell_type != "code" or not nbgrader_meta(original).get("locked") or original.id in present:
            continue
        earlier = {c.id for c in reference.cells[:i] if c.cell_type == "code"}
        cell = copy.deepcopy(original)
        cell.outputs, cell.execution_count = [], None
        nb.cells.insert(position_after(nb, earlier), cell)
        present.add(original.id)
        kind = "test cell" if is_test(original) else "cell"
        notes.append(f"{kind} `{label(original)}` was missing: the original was put back")
    return notes


def restore_order(nb, reference):
    """Move each test cell down below the released code cells (tests aside) that precede it in the release."""
    notes = []
    for i, original in enumerate(reference.cells):
        if not is_test(original):
            continue
        earlier = {c.id for c in reference.cells[:i] if c.cell_type == "code" and not is_test(c)}
        here = next((k for k, c in enumerate(nb.cells) if c.get("id") == original.id), None)
        below = [] if here is None else [c for c in nb.cells[here + 1 :] if c.get("id") in earlier]
        if below:
            cell = nb.cells.pop(here)
            nb.cells.insert(position_after(nb, earlier), cell)
            solutions = " and ".join(f"`{label(c)}`" for c in below if nbgrader_meta(c).get("solution"))
            what = f"{solutions}, which it follows" if solutions else "cells it follows"
            notes.append(f"test cell `{label(original)}` was above {what} in the released notebook: it was run below")
    return notes


def test_cell_notes(nb, reference):
    """Notes on test cells edited (nbgrader runs them as they were released)."""

    def tests(notebook):
        return {nbgrader_meta(c)["grade_id"]: c.source for c in notebook.cells if is_test(c)}

    have, want = tests(nb), tests(reference)
    edited = [g for g in want if have.get(g, want[g]) != want[g]]
    return [f"test cell `{g}` was edited: the original was run instead" for g in edited]


def with_notes(nb, notes):
    """nb with a markdown cell of the grader's notes on top (none if there are no notes)."""
    if notes:
        text = "**Notes from the grader**\n\n" + "\n".join(f"- {n}" for n in notes)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(text, id=NOTE_CELL_ID))
    return nb
