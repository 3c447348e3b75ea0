"""Copy deploy/course_hub.py into deploy/kubernetes/values.yaml's hub.extraConfig, so the Kubernetes hub runs the
course's hub settings the local hub runs (one source). Run after changing course_hub.py:

    python deploy/kubernetes/sync_values.py
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
KEY = "    gates-course: |\n"
INDENT = " " * 6


def synced(values, source):
    """values.yaml's text with the block under hub.extraConfig.gates-course replaced by source, indented."""
    start = values.index(KEY) + len(KEY)
    end = start
    lines = values[start:].splitlines(keepends=True)
    for line in lines:
        if line.strip() and not line.startswith(INDENT):
            break
        end += len(line)
    block = "".join(INDENT + line if line.strip() else "\n" for line in source.splitlines(keepends=True))
    return values[:start] + block + "\n" + values[end:].lstrip("\n")


if __name__ == "__main__":
    values = HERE / "values.yaml"
    values.write_text(synced(values.read_text(), (HERE.parent / "course_hub.py").read_text()))
    print(f"{values}: hub.extraConfig.gates-course = deploy/course_hub.py")
