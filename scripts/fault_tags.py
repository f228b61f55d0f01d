"""Tag-list paging for scripts/fault-proxy.py, with the hostile variants a registry can send.

distribution 2.8 ignores `n` and never sends Link headers, so the proxy pages the upstream
list itself: sorted, N after `last`, with `Link: <…>; rel="next"` while more remain. A tag
fault changes what the pages say:
  hostiletags   names outside the tag grammar are mixed into the list (path climbs, `/`,
                `%2F`, control characters, 129 characters, …)
  looptags      the last page's Link points back to the first page
  endlesstags   every page links to a "next" page that repeats the first one (distinct URLs)
  linkhost      every Link names another host name of this proxy (localhost vs 127.0.0.1),
                under /__redirected/ID/ so the proxy can tell whether credentials came along
"""
import json
import urllib.parse

HOSTILE_TAGS = [
    "../../../victim/app/manifests/prod",
    "../prod",
    "a/b",
    "x%2Fy",
    "..",
    ".hidden",
    "-dash",
    "",
    "esc\x1b]0;pwned\x07title",
    "new\nline",
    "tab\tname",
    "bidi\u202eevil",
    "A" * 129,
]


def page(listing, path, query, fault):
    """(status, headers, body) of one page of `listing` (the upstream's JSON)."""
    kind = fault["kind"] if fault else None
    tags = sorted(listing.get("tags") or [])
    if kind == "hostiletags":
        tags = sorted(tags + HOSTILE_TAGS)
    if "last" in query:
        tags = [t for t in tags if t > query["last"]]
    size = int(query.get("n", "1000"))
    current, more = tags[:size], len(tags) > size
    body = json.dumps({"name": listing.get("name"), "tags": current}).encode()
    headers = [("Content-Type", "application/json")]
    link = None
    if more:
        last = urllib.parse.quote(current[-1], safe="")
        link = f"{path}?n={size}&last={last}"
    if kind == "looptags" and not more:
        link = f"{path}?n={size}"
    if kind == "endlesstags":
        turn = int(query.get("turn", "0")) + 1
        link = f"{path}?n={size}&turn={turn}"
    if link and kind == "linkhost":
        link = f"http://{fault['other_host']}/__redirected/{fault['ident']}{link}"
    if link:
        headers.append(("Link", f'<{link}>; rel="next"'))
    return 200, headers, body
