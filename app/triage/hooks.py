"""What other domains do when triage writes its readings on posts.

Triage sits below the statistics (DESIGN.md): it does not import them. A domain that
keeps data derived from the readings (the trends' hourly counts) registers a hook here at
import, as `cases.hooks.register_merge_hook` and `notifications.register_renderer` do;
create_app imports those modules, so the hooks are in place wherever triage runs.
"""

from collections.abc import Callable

#: fn(records): triage is about to write these column values on these posts
#: ({Post: {column: value}}), in the caller's transaction (no commit); the rows still hold
#: the values before.
ReadingsHook = Callable[[dict], None]

#: By the hook's module and name, so a module imported again replaces its hook.
_READINGS_HOOKS: dict[str, ReadingsHook] = {}


def register_readings_hook(hook: ReadingsHook) -> ReadingsHook:
    """Run `hook(records)` before triage writes a batch of readings; usable as a decorator."""
    _READINGS_HOOKS[f"{hook.__module__}.{hook.__qualname__}"] = hook
    return hook


def registered_hooks() -> list[str]:
    """The names of the registered readings hooks."""
    return list(_READINGS_HOOKS)


def run_readings_hooks(records: dict) -> None:
    """Call the readings hooks, in the order they were first registered."""
    if not records:
        return
    for hook in list(_READINGS_HOOKS.values()):
        hook(records)
