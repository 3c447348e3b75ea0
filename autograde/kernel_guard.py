"""The grader's guard inside the student's kernel: undo tampering before a test cell, detect it after.

The grader sends this file's source to a fresh kernel before any notebook cell runs, then calls
`install(nonce, name)`. install imports torch and every gatelab module, and snapshots what a test cell's
verdict relies on: the builtins, the dicts of the gatelab, torch and numpy modules (and of torch.Tensor),
sys.modules, sys' trace hooks, IPython's input and AST transformers, event callbacks, custom exception
handler (gatelab's) and shell methods, and the kernel's methods. The guard is reachable at sys.modules[name].

The grader calls `sys.modules[name].check(aliases)` through a silent execute request's user_expressions,
which IPython evaluates with eval(), past any input transformer or event hook. check restores everything
in the snapshot, rebinds the setup cells' imports (aliases, e.g. {"gl": "gatelab"}) in the user
namespace, routes warnings to stdout, and returns the nonce and the list of what it had to restore. A
reply without the nonce means the kernel no longer obeys the grader.

What it does not prevent: code that goes looking for the guard itself (in sys.modules or with gc) can
read the nonce and fake the reply; patching C-level state (ctypes) or objects outside the snapshot
(e.g. attributes of arbitrary torch classes) is not undone. Running the checks out of process would
close these; the guard makes tampering a deliberate attack on the grader rather than a one-line patch.
"""

KERNEL_BUILTINS = ("input", "get_ipython", "display", "exit", "quit", "_", "__", "___", "getpass")


def lazily_initialised(key, saved, current, trusted):
    """Whether a watched module's entry changed from saved to current as torch itself initialises things late.

    torch sets some of its state only on first use: the first optimizer imports torch._dynamo, which wraps
    torch.manual_seed (current.__wrapped__ is the saved function, wrapped by torch's own code) and fills private
    caches and flags (_marked_safe_globals_set, _cupti_monitor_checked: a private name whose saved value was None,
    a bool or a set). Such a change is kept, not undone: importing torch._dynamo ahead (1.5 s) would cost every
    notebook what only the training lessons use. Anything else changed in a watched module is undone.
    """
    if getattr(current, "__wrapped__", None) is saved and saved is not None and trusted(current):
        return True
    return key.startswith("_") and (saved is None or isinstance(saved, bool | set | frozenset))


def install(nonce, name):
    import builtins
    import importlib
    import pkgutil
    import sys
    import threading
    import warnings

    import numpy  # noqa: F401 -- snapshot numpy too
    import torch
    from IPython import get_ipython

    import gatelab

    for info in pkgutil.walk_packages(gatelab.__path__, "gatelab."):
        importlib.import_module(info.name)

    def show_warning(message, category, filename, lineno, file=None, line=None):
        print(warnings.formatwarning(message, category, filename, lineno, line).rstrip())

    warnings.showwarning = show_warning  # a warning is not an error: stdout, so it costs no points

    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    trusted_dirs = tuple({sys.prefix, sys.base_prefix, str(gatelab.__path__[0])})
    watched_prefixes = ("gatelab", "torch", "numpy", "builtins", "math", "warnings")

    def watched(mod_name):
        return mod_name.split(".")[0] in watched_prefixes

    def trusted(obj):
        """Whether obj's code lives in the Python environment or gatelab (not in a notebook cell)."""
        for candidate in (obj, getattr(obj, "__func__", None), vars(type(obj)).get("__call__")):
            code = getattr(candidate, "__code__", None)
            if code is not None:
                return code.co_filename.startswith(trusted_dirs)
        return False

    classes = [torch.Tensor, torch._C.TensorBase, *type(shell).__mro__]
    classes += list(type(kernel).__mro__) if kernel is not None else []
    for mod_name, module in list(sys.modules.items()):
        if mod_name.startswith("gatelab"):
            classes += [v for v in vars(module).values() if isinstance(v, type) and v.__module__ == mod_name]
    classes = [c for c in dict.fromkeys(classes) if c is not object]

    modules = {n: m for n, m in sys.modules.items() if m is not None}
    saved_dicts = {n: dict(vars(m)) for n, m in modules.items() if watched(n)}
    for key in KERNEL_BUILTINS:  # ipykernel rebinds these for every request
        saved_dicts["builtins"].pop(key, None)
    saved_classes = {c: dict(vars(c)) for c in classes}
    saved_shell = {k: v for k, v in vars(shell).items() if callable(v)}
    transformer_lists = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
    saved_transformers = {k: list(getattr(shell, k, None) or []) for k in transformer_lists}
    saved_managers = {k: getattr(shell, k, None) for k in ("input_transformer_manager", "events", "compile")}
    saved_custom_exceptions = shell.custom_exceptions  # gatelab's own: failed checks shown as feedback alone
    builtin_names = set(vars(builtins)) - set(KERNEL_BUILTINS)

    def restore_namespace(label, current, saved, set_, del_, delete_added, report, module=True):
        """Put back every changed or deleted entry of saved; delete added ones (all, or those shadowing builtins).

        Added dunder names are left alone in a module (__warningregistry__), not in a class (__eq__). In a module
        of torch, what torch initialises late (lazily_initialised) becomes the saved value instead.
        """
        for key, value in list(saved.items()):
            now = current.get(key, restore_namespace)
            if now is value:
                continue
            in_torch = module and label.split(".")[0] == "torch"
            if in_torch and key in current and lazily_initialised(key, value, now, trusted):
                saved[key] = now
            else:
                report.append(f"{label}.{key}")
                set_(key, value)
        added = [k for k in current if k not in saved and not (module and k.startswith("__"))]
        for key in [k for k in added if label != "builtins" or k not in KERNEL_BUILTINS]:
            if delete_added or key in builtin_names:
                if getattr(current[key], "__name__", None) != f"{label}.{key}":  # a submodule imported later
                    report.append(f"{label}.{key}")
                    del_(key)

    def restore(report):
        for mod_name, module in modules.items():
            if sys.modules.get(mod_name) is not module:
                report.append(f"sys.modules[{mod_name!r}]")
                sys.modules[mod_name] = module
        for mod_name, saved in saved_dicts.items():
            ns = vars(modules[mod_name])
            ours = mod_name.startswith("gatelab")
            restore_namespace(mod_name, ns, saved, ns.__setitem__, ns.__delitem__, ours, report)
        for cls, saved in saved_classes.items():
            try:
                restore_namespace(
                    cls.__qualname__,
                    dict(vars(cls)),
                    saved,
                    lambda k, v, cls=cls: type.__setattr__(cls, k, v),
                    lambda k, cls=cls: type.__delattr__(cls, k),
                    True,
                    report,
                    module=False,
                )
            except TypeError:  # a built-in type cannot be changed, so it needs no restoring
                pass
        for key, value in saved_shell.items():
            if vars(shell).get(key) is not value:
                report.append(f"shell.{key}")
                setattr(shell, key, value)
        for key in [k for k, v in vars(shell).items() if callable(v) and k not in saved_shell and not trusted(v)]:
            report.append(f"shell.{key}")
            delattr(shell, key)
        for key, saved in saved_managers.items():
            if getattr(shell, key, None) is not saved:
                report.append(f"shell.{key}")
                setattr(shell, key, saved)
        for key, saved in saved_transformers.items():
            current = getattr(shell, key, None)
            if current is not None and list(current) != saved:
                report.append(f"shell.{key}")
                current[:] = saved
        for event, callbacks in shell.events.callbacks.items():
            if not all(trusted(cb) for cb in callbacks):
                report.append(f"shell.events[{event!r}]")
                callbacks[:] = [cb for cb in callbacks if trusted(cb)]
        if shell.custom_exceptions != saved_custom_exceptions:
            report.append("shell.set_custom_exc")
            shell.custom_exceptions = saved_custom_exceptions
        if sys.gettrace() is not None or sys.getprofile() is not None:
            report.append("sys.settrace")
            sys.settrace(None)
            sys.setprofile(None)
        threading.settrace(None)
        threading.setprofile(None)

    def rebind(aliases, report):
        ns = shell.user_ns
        if ns.get("__builtins__") not in (builtins, vars(builtins)):
            report.append("__builtins__")
            ns["__builtins__"] = builtins
        for alias, mod_name in aliases.items():
            module = modules.get(mod_name) or sys.modules.get(mod_name)
            if module is not None and ns.get(alias) is not module:
                report.append(f"the name {alias}")
                ns[alias] = module

    def check(aliases):
        """Restore the snapshot; return the nonce then what had to be restored, one per line."""
        report = []
        restore(report)
        rebind(aliases, report)
        return "\n".join([nonce, *dict.fromkeys(report)])

    guard = type(sys)(name)
    guard.check = check
    sys.modules[name] = guard
    modules[name] = guard
    return nonce
