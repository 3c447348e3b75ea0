"""Run a Jupyter kernel inside Debian's bubblewrap, with resource limits: what grading uses for student code.

The kernel sees a read-only view of the system, the Python environment and gatelab's source, one writable
folder (the notebook's own folder in the grader's private workspace) and a private /tmp; it has no network,
no other process, no solutions/, no gradebook and no other student's work. prlimit caps its address space
(memory), CPU time and file sizes. The kernel talks to the grader over Unix sockets (ZeroMQ's ipc
transport) in a private folder, since TCP on localhost does not cross the network namespace.
"""

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode

SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/bin", "/sbin")
# Only what a Python kernel needs from /etc: no keys, no shadow file (the kernel's user may appear to own them).
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/fonts",
    "/etc/alternatives",
    "/etc/mime.types",
)
NOBODY = 65534


def python_dirs():
    """The folders the kernel's Python needs: the environment, its base install, editable packages' sources."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    # Found, not imported: importing gatelab imports torch, seconds the grader's process does not need.
    dirs.add(str(Path(importlib.util.find_spec("gatelab").origin).resolve().parents[1]))
    return sorted(d for d in dirs if d and os.path.isdir(d))


def bwrap_args(readable, writable, cwd, tmp_bytes=256 * 2**20):
    """bubblewrap's arguments: read-only binds of readable, read-write binds of writable, no network, no caps.

    /tmp is a private tmpfs of at most tmp_bytes.
    """
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-all", "--cap-drop", "ALL"]
    args += ["--uid", str(NOBODY), "--gid", str(NOBODY)]
    for d in (*SYSTEM_DIRS, *ETC_FILES):
        if os.path.lexists(d):
            args += ["--ro-bind", d, d]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
    for d in readable:
        args += ["--ro-bind", d, d]
    for d in writable:
        args += ["--bind", d, d]
    args += ["--chdir", cwd, "--setenv", "HOME", "/tmp", "--setenv", "MPLCONFIGDIR", "/tmp"]
    args += ["--setenv", "IPYTHONDIR", "/tmp/.ipython", "--setenv", "JUPYTER_CONFIG_DIR", "/tmp/.jupyter"]
    args += ["--setenv", "OMP_NUM_THREADS", "1", "--setenv", "PYTHONDONTWRITEBYTECODE", "1"]
    # ipykernel exits when its parent pid looks like init (1), as it does in a pid namespace; bwrap
    # itself ends the kernel when the grader dies (--die-with-parent).
    args += ["--unsetenv", "JPY_PARENT_PID"]
    return [*args, "--"]


def prlimit_args(memory_bytes, cpu_seconds, file_bytes):
    """prlimit's arguments: address space, CPU seconds and largest file the kernel may write."""
    return ["prlimit", f"--as={memory_bytes}", f"--cpu={cpu_seconds}", f"--fsize={file_bytes}", "--"]


def sandbox_available():
    """Whether bwrap and prlimit are installed (apt package bubblewrap; prlimit is in util-linux)."""
    return bool(shutil.which("bwrap") and shutil.which("prlimit"))


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs under prlimit inside bubblewrap (see the module's docstring)."""

    sandbox = Bool(True, help="Run the kernel inside bubblewrap (False: only the resource limits)").tag(config=True)
    memory_limit = Integer(3 * 2**30, help="Address-space limit of the kernel, in bytes").tag(config=True)
    cpu_limit = Integer(300, help="CPU seconds the kernel may use in all").tag(config=True)
    file_limit = Integer(64 * 2**20, help="Largest file the kernel may write, in bytes").tag(config=True)
    extra_readable = List(Unicode(), help="More folders the kernel may read").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.socket_dir = tempfile.mkdtemp(prefix="gates-kernel-")
        self.connection_file = os.path.join(self.socket_dir, "kernel.json")
        self.ip = os.path.join(self.socket_dir, "ipc")

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        limits = prlimit_args(self.memory_limit, self.cpu_limit, self.file_limit)
        if not self.sandbox:
            return limits + cmd
        cwd = self._launch_args.get("cwd") or os.getcwd()
        readable = [*python_dirs(), *self.extra_readable]
        return limits + bwrap_args(readable, [cwd, self.socket_dir], cwd) + cmd

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources
