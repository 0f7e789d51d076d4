"""What other domains do with the posts collectors store.

Collectors sit at the bottom of the data flow (DESIGN.md): they do not import triage or
the statistics. A domain that takes new posts registers a hook here at import, as
`cases.hooks.register_merge_hook` and `notifications.register_renderer` do; create_app
imports those modules, so the hooks are in place in the web app, a worker, the CLI and
with jobs run inline.

Two moments:

- `register_posts_stored_hook`: posts were just inserted, in the storing transaction
  (before its commit): what must change with them, in the same transaction (the hourly
  counts of the trends);
- `register_new_posts_hook`: posts were committed: hand them on (to triage, which
  enqueues them). A post no hook took stays `pending`.
"""

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

#: fn(post_ids): the posts just inserted, in the caller's transaction (no commit).
PostsStoredHook = Callable[[list[int]], None]
#: fn(post_ids): the posts just committed, to hand on.
NewPostsHook = Callable[[list[int]], object]

#: By the hook's module and name, so a module imported again replaces its hook.
_STORED_HOOKS: dict[str, PostsStoredHook] = {}
_NEW_POSTS_HOOKS: dict[str, NewPostsHook] = {}


def _name(hook: Callable) -> str:
    return f"{hook.__module__}.{hook.__qualname__}"


def register_posts_stored_hook(hook: PostsStoredHook) -> PostsStoredHook:
    """Run `hook(post_ids)` in the transaction that stores new posts; usable as a decorator."""
    _STORED_HOOKS[_name(hook)] = hook
    return hook


def register_new_posts_hook(hook: NewPostsHook) -> NewPostsHook:
    """Run `hook(post_ids)` once new posts are committed; usable as a decorator."""
    _NEW_POSTS_HOOKS[_name(hook)] = hook
    return hook


def registered_hooks() -> dict[str, list[str]]:
    """The names of the registered hooks, by moment ("stored", "new")."""
    return {"stored": list(_STORED_HOOKS), "new": list(_NEW_POSTS_HOOKS)}


def run_posts_stored_hooks(post_ids: list[int]) -> None:
    """Call the posts-stored hooks (in the order they were first registered)."""
    if not post_ids:
        return
    for hook in list(_STORED_HOOKS.values()):
        hook(post_ids)


def hand_over_new_posts(post_ids: list[int]) -> None:
    """After the commit: call the new-posts hooks (triage enqueues the posts)."""
    if not post_ids:
        return
    if not _NEW_POSTS_HOOKS:
        log.warning("no one takes new posts (no hook registered): %d stay pending", len(post_ids))
    for hook in list(_NEW_POSTS_HOOKS.values()):
        hook(post_ids)
