"""What other domains do when a case changes in a way they keep data about.

Cases sit above the domains that feed them (collectors, triage), so they do not
import them. A domain that keeps rows about cases registers a hook here at
import, as `notifications.register_renderer` does for how a notification reads;
`moves.merge` runs the merge hooks in its transaction.
"""

from collections.abc import Callable

from app.cases.models import Case

#: fn(source, target): `source` is being merged into `target`; move or drop what points to
#: `source`, in the caller's transaction (no commit).
MergeHook = Callable[[Case, Case], None]

#: By the hook's module and name, so a module imported again replaces its hook.
_MERGE_HOOKS: dict[str, MergeHook] = {}


def register_merge_hook(hook: MergeHook) -> MergeHook:
    """Run `hook(source, target)` on every merge; usable as a decorator."""
    _MERGE_HOOKS[f"{hook.__module__}.{hook.__qualname__}"] = hook
    return hook


def run_merge_hooks(source: Case, target: Case) -> None:
    """Call the registered merge hooks, in the order they were first registered."""
    for hook in list(_MERGE_HOOKS.values()):
        hook(source, target)
