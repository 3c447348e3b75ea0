"""Per-student limits on the hub: each student's server, and everything it starts, gets at most MEMORY bytes,
CPUS cores and TASKS processes and threads, set here and nowhere else.

Where systemd runs (the usual single-machine install), SystemdSpawner applies them (a transient unit per user).
Where it does not (containers, and the machines the course is built on: no systemd, cgroup v1's memory, cpu and
pids controllers mounted writable), CgroupSpawner puts each server in cgroups of its own with the same limits.
Either way a student's runaway kernel (a memory bomb, a busy loop, a fork bomb) hurts only that student:
the kernel is killed at its memory limit, throttled to its cores, refused past its processes.
"""

import asyncio
import os
import signal
import time
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Unicode

# From the measured footprint (deploy/README.md): a student with a lesson open holds about 0.5 GiB (the server
# 143–156 MiB, the kernel 300–400 MiB), and lesson 07 trains on one core for 20–30 s. So: twice that memory, one
# core, and room for the server's, the kernel's and PyTorch's threads (the pids controller counts threads).
MEMORY = 1 << 30
CPUS = 1.0
TASKS = 512
CPU_PERIOD_US = 100_000


def systemd_runs():
    """Is systemd this machine's init (what SystemdSpawner needs)?"""
    return Path("/run/systemd/system").is_dir()


def configure(c):
    """Give the hub's config c the spawner that applies the limits: SystemdSpawner where systemd runs,
    else CgroupSpawner (LocalProcessSpawner otherwise: each server as its user's own process)."""
    if systemd_runs():
        c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
        c.SystemdSpawner.mem_limit = MEMORY
        c.SystemdSpawner.cpu_limit = CPUS
        c.SystemdSpawner.unit_extra_properties = {"TasksMax": str(TASKS)}
        c.SystemdSpawner.dynamic_users = False  # the roster's users are system users
    else:
        c.JupyterHub.spawner_class = CgroupSpawner


def write(path, value):
    """Write value to a cgroup file."""
    Path(path).write_text(f"{value}\n")


class CgroupSpawner(LocalProcessSpawner):
    """LocalProcessSpawner whose server, and everything it starts, runs in cgroups (v1) of the user's own, one per
    controller: cgroup_root/<memory|cpu|pids>/cgroup_parent/<user>, with the limits above. Stopping the server
    kills whatever it left behind there (a fork bomb's children)."""

    cgroup_root = Unicode("/sys/fs/cgroup", config=True, help="where cgroup v1's controllers are mounted")
    cgroup_parent = Unicode("gates", config=True, help="the folder, in each controller, of one cgroup per user")

    def cgroups(self):
        """{controller: the user's cgroup folder}, for memory, cpu and pids."""
        root = Path(self.cgroup_root)
        return {name: root / name / self.cgroup_parent / self.user.name for name in ("memory", "cpu", "pids")}

    def make_cgroups(self):
        """Create the user's cgroups and set their limits."""
        folders = self.cgroups()
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        write(folders["memory"] / "memory.limit_in_bytes", MEMORY)
        swap = folders["memory"] / "memory.memsw.limit_in_bytes"
        if swap.exists():  # with swap accounting on, swap counts too
            write(swap, MEMORY)
        write(folders["cpu"] / "cpu.cfs_period_us", CPU_PERIOD_US)
        write(folders["cpu"] / "cpu.cfs_quota_us", int(CPUS * CPU_PERIOD_US))
        write(folders["pids"] / "pids.max", TASKS)

    def make_preexec_fn(self, name):
        """In the new process, still root: join the user's cgroups, then become the user."""
        become_user = super().make_preexec_fn(name)
        members = [folder / "cgroup.procs" for folder in self.cgroups().values()]

        def preexec():
            for path in members:
                with open(path, "w") as f:
                    f.write(str(os.getpid()))
            become_user()

        return preexec

    async def start(self):
        self.make_cgroups()
        return await super().start()

    async def stop(self, now=False):
        await super().stop(now=now)
        await self.kill_leftovers()

    async def kill_leftovers(self, timeout=10):
        """Kill every process still in the user's cgroups, then remove them."""
        folders = self.cgroups()
        members = folders["pids"] / "cgroup.procs"
        deadline = time.monotonic() + timeout
        while members.exists() and members.read_text().split() and time.monotonic() < deadline:
            for pid in members.read_text().split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            await asyncio.sleep(0.1)
        for folder in folders.values():
            try:
                folder.rmdir()
            except OSError as error:
                self.log.warning("could not remove %s: %s", folder, error)
