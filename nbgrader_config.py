"""nbgrader on this repository's layout (run nbgrader's commands from the repository root).

solutions/ holds the source notebooks, lessons/ the released ones; what nbgrader makes while grading
(submitted/, autograded/, feedback/ and the SQLite gradebook) lives under autograde/, ignored by git.
"""

import os
import sys

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

here = os.path.dirname(os.path.abspath(__file__))
if here not in sys.path:
    sys.path.insert(0, here)  # nbgrader imports autograde.* (below) from the course, wherever it runs

c.CourseDirectory.course_id = "gates"
c.CourseDirectory.root = here
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons"
c.CourseDirectory.submitted_directory = os.path.join("autograde", "submitted")
c.CourseDirectory.autograded_directory = os.path.join("autograde", "autograded")
c.CourseDirectory.feedback_directory = os.path.join("autograde", "feedback")
# GATES_GRADEBOOK_URL: a server gradebook (postgresql+psycopg://user@host/db; see deploy/README.md).
c.CourseDirectory.db_url = os.environ.get("GATES_GRADEBOOK_URL") or "sqlite:///" + os.path.join(
    here, "autograde", "gradebook.db"
)
# Collect only what each student submitted themselves (nbgrader's exchange lets anyone submit as anyone).
# A folder holding this file without autograde/exchange.py (the tests' temporary courses) keeps nbgrader's; a hub
# with the course's exchange service (GATES_EXCHANGE_URL: deploy/jupyter/common/nbgrader_config.py) uses its own.
if os.path.exists(os.path.join(here, "autograde", "exchange.py")) and not os.environ.get("GATES_EXCHANGE_URL"):
    c.ExchangeFactory.collect = "autograde.exchange.OwnerCheckedCollect"

# Feedback a learner can read anywhere, offline (autograde/feedback.py): figures from assets/ embedded (their
# links are relative to the released lesson's folder), math as MathML, each explorer live, no MathJax
# from a CDN. autograde/grade.py's feedback runs these too. A folder without that file keeps nbgrader's steps,
# for feedback and for releasing alike.
if os.path.exists(os.path.join(here, "autograde", "feedback.py")):
    c.GenerateFeedback.exporter_class = "autograde.feedback.OfflineHTMLExporter"
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
        "autograde.feedback.EmbedFigures",
        "autograde.feedback.MathToMathML",
        "autograde.feedback.LiveExplorers",
    ]
    c.EmbedFigures.lesson_dirs = [os.path.join(here, c.CourseDirectory.release_directory, "{assignment}")]
    c.EmbedFigures.figure_dirs = [os.path.join(here, "assets")]
    # The released lessons carry those figures as data URIs, so they show them wherever they go (fetched from the
    # exchange, downloaded, in Colab; JupyterLab draws no SVG cell attachment): nbgrader's own steps
    # (nbgrader/converters/generate_assignment.py), in its order, with EmbedFigures before the checksums of the
    # locked cells, which cover their source. Links are read from the source notebook's folder.
    c.GenerateAssignment.preprocessors = [
        "nbgrader.preprocessors.IncludeHeaderFooter",
        "nbgrader.preprocessors.InstantiateTests",
        "nbgrader.preprocessors.LockCells",
        "nbgrader.preprocessors.ClearSolutions",
        "nbgrader.preprocessors.ClearOutput",
        "autograde.feedback.EmbedFigures",
        "nbgrader.preprocessors.CheckCellMetadata",
        "nbgrader.preprocessors.ComputeChecksums",
        "nbgrader.preprocessors.SaveCells",
        "nbgrader.preprocessors.ClearHiddenTests",
        "nbgrader.preprocessors.ClearMarkScheme",
        "nbgrader.preprocessors.ComputeChecksums",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]

# A deleted test cell is put back from the gradebook instead of leaving the submission ungradeable.
c.OverwriteCells.add_missing_cells = True
# Lessons 06-07 train small networks in a cell (≈ 30 s; more on a loaded machine): nbgrader's 30 s
# default would cut them off.
c.Execute.timeout = 120
# Learners' solution stubs.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
