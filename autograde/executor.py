"""nbgrader's Execute step, hardened: a sandboxed kernel, a guard around test cells, survival of a dead kernel.

GuardedExecute replaces nbgrader's Execute in `nbgrader autograde` (autograde/workspace.py configures it).
For each notebook it
- runs the kernel in the sandbox (autograde/sandbox.py: bubblewrap, no network, memory and CPU limits);
- installs the guard (autograde/kernel_guard.py) before the first cell, then, around every test cell,
  undoes any tampering first (a note in the cell's output says what was undone) and checks nothing was
  tampered with while the cell ran (if it was, the cell fails: its verdict cannot be trusted);
- when a cell times out, kills the kernel or exhausts its memory, records an error in that cell only,
  starts a new kernel and runs again the cells that had run fine, then goes on: the rest still counts;
- keeps at most output_limit characters of any cell's output, and stops running cells once the
  notebook has used notebook_timeout seconds (those cells fail with a message).
"""

import ast
import secrets
import time
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_locked, is_solution
from traitlets import Integer

from autograde.sandbox import SandboxKernelManager

GUARD_SOURCE = (Path(__file__).parent / "kernel_guard.py").read_text()


def error_output(ename, evalue):
    """An error output (what makes nbgrader give a test cell 0 points) with no traceback to leak source."""
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def note_output(text):
    """A note from the grader, on stdout (which costs no points)."""
    return nbformat.v4.new_output("stream", name="stdout", text=f"[grader] {text}\n")


def setup_aliases(nb):
    """{name: module} bound by `import m` / `import m as name` in the notebook's locked, non-graded code cells
    (read as IPython runs them: a `%pip` line, as in the lessons' first cell, is Python once transformed)."""
    aliases = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or not is_locked(cell) or is_grade(cell) or is_solution(cell):
            continue
        try:
            tree = ast.parse(TransformerManager().transform_cell(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname or "." not in alias.name:
                        aliases[alias.asname or alias.name] = alias.name
    return aliases


class GuardedExecute(Execute):
    """nbgrader's Execute with a sandboxed kernel, a tamper guard and recovery from a dead kernel."""

    notebook_timeout = Integer(600, help="Wall seconds one notebook may take in all").tag(config=True)
    output_limit = Integer(100_000, help="Characters of output kept per cell").tag(config=True)

    def __init__(self, **kw):
        kw.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(**kw)

    def preprocess(self, nb, resources=None, km=None):
        self.interrupt_on_timeout = False  # a stuck kernel is replaced, not interrupted
        self.kernel_name = "python3"  # whatever the submission's metadata says
        self.shutdown_kernel = "immediate"
        self._aliases = setup_aliases(nb)
        self._replayable = []
        self._deadline = time.monotonic() + self.notebook_timeout
        self._guard_name = None
        self._output_sizes = {}
        return super().preprocess(nb, resources, km)

    # -- the kernel ---------------------------------------------------------------------------------

    def _run_silently(self, code, timeout, user_expressions=None):
        """The reply to code run without output or history (None when the kernel gives none in time)."""
        try:
            return run_sync(self.kc.execute_interactive)(
                code,
                silent=True,
                store_history=False,
                user_expressions=user_expressions or {},
                timeout=timeout,
                output_hook=lambda msg: None,
            )
        except Exception:  # a timeout or a dead kernel: the caller decides
            return None

    def _install_guard(self):
        self._nonce = secrets.token_hex(16)
        self._guard_name = f"_grader_{secrets.token_hex(8)}"
        code = f"{GUARD_SOURCE}\n_r = install({self._nonce!r}, {self._guard_name!r})\ndel install, _r\n"
        reply = self._run_silently(code, timeout=max(self.timeout or 60, 60))
        if not reply or reply["content"]["status"] != "ok":
            raise RuntimeError(f"the grader's guard did not install: {reply and reply['content']}")

    def _guard(self):
        """Restore the kernel's state; return what had to be restored, or None if the kernel is not obeying."""
        expr = f"__import__('sys').modules[{self._guard_name!r}].check({self._aliases!r})"
        reply = self._run_silently("", timeout=30, user_expressions={"g": expr})
        try:
            result = reply["content"]["user_expressions"]["g"]
            lines = ast.literal_eval(result["data"]["text/plain"]).split("\n")
        except Exception:
            return None
        return lines[1:] if lines[0] == self._nonce else None

    def _restart(self):
        """A new kernel with the guard, in which the cells that ran fine are run again (output discarded)."""
        while True:
            run_sync(self._async_cleanup_kernel)()
            self.km = None
            self.create_kernel_manager()
            run_sync(self.async_start_new_kernel)()
            run_sync(self.async_start_new_kernel_client)()
            self._install_guard()
            replay = (i for i in self._replayable if not self._run_silently(self.nb.cells[i].source, self.timeout))
            failed = next(replay, None)
            if failed is None:
                return
            self._replayable.remove(failed)  # it does not run a second time: leave it out

    # -- cells --------------------------------------------------------------------------------------

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(str(content.get("text", ""))) + len(str(content.get("data", "")))
        seen = self._output_sizes.get(cell_index, 0)
        self._output_sizes[cell_index] = seen + size
        if seen + size > self.output_limit and msg["msg_type"] in ("stream", "display_data", "execute_result"):
            return None
        return super().output(outs, msg, display_id, cell_index)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return super().preprocess_cell(cell, resources, index)
        if self._guard_name is None:
            self._install_guard()
        if time.monotonic() > self._deadline:
            cell.outputs = [
                error_output("NotebookTimeout", f"not run: the notebook had used its {self.notebook_timeout} s")
            ]
            return cell, resources
        graded = is_grade(cell)
        undone = self._guard() if graded else []
        if undone is None:
            cell.outputs = [
                error_output(
                    "KernelTampered",
                    "this test was not run: the kernel no longer runs code as written "
                    "(IPython or the kernel itself was changed by earlier cells)",
                )
            ]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:
            cell.outputs.append(
                error_output("CellTimeout", f"this cell ran longer than {self.timeout} s and was stopped")
            )
            self._recover(cell)
            return cell, resources
        except DeadKernelError:
            cell.outputs.append(
                error_output(
                    "KernelDied",
                    "the kernel died running this cell (out of memory, CPU-time limit, os._exit or a crash)",
                )
            )
            self._recover(cell)
            return cell, resources
        self._after_cell(cell, index, graded, undone)
        return cell, resources

    def _recover(self, cell):
        cell.outputs.append(note_output("the kernel was restarted and the cells before this one run again"))
        self._restart()

    def _after_cell(self, cell, index, graded, undone):
        if self._output_sizes.get(index, 0) > self.output_limit:
            cell.outputs.append(
                note_output(f"output cut: the cell printed {self._output_sizes[index]} characters; kept the first")
            )
        if any(o.output_type == "error" and o.get("ename") == "MemoryError" for o in cell.outputs):
            self._recover(cell)  # its memory may still be held: start afresh without it
        else:
            self._replayable.append(index)
        if graded:
            if undone:
                note = f"before this test the grader undid changes made by your code to: {', '.join(undone)}"
                cell.outputs.insert(0, note_output(note))
            changed = self._guard()
            if changed:
                cell.outputs.append(
                    error_output(
                        "TamperingDetected",
                        f"this test does not count: it changed the grader's state while it ran ({', '.join(changed)})",
                    )
                )
            elif changed is None:
                cell.outputs.append(error_output("KernelTampered", "the kernel stopped answering the grader"))
