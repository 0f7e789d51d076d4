"""Which addresses from collected posts may become links (pure, no Flask)."""


def web_link(url: str | None) -> str | None:
    """`url` when it is an http(s) address, else None: a post's "javascript:…" or
    "data:…" address is shown as text, never as a link (pages, e-mail, PDF)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else None
