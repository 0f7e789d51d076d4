"""Which addresses from collected posts may become links, and which query arguments a page
carries over into its own links (pure, no Flask)."""


def web_link(url: str | None) -> str | None:
    """`url` when it is an http(s) address, else None: a post's "javascript:…" or
    "data:…" address is shown as text, never as a link (pages, e-mail, PDF)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    return url if url.lower().startswith(("http://", "https://")) else None


def carried_query(args, *, path_names=()) -> dict:
    """The query arguments `args` (name -> value) that may go into ``url_for(endpoint, **…)``.

    url_for reads ``endpoint`` and names starting with "_" (``_method``, ``_external``,
    ``_scheme``, ``_anchor``) as its own arguments, and a route's own names (``code`` of
    /public/cases/<code>) as the path: from a visitor's URL they would break the page
    (a 500) or change where its links point, so they are left out.
    """
    return {
        name: value
        for name, value in args.items()
        if name != "endpoint" and not name.startswith("_") and name not in path_names
    }
