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
Tag-list personalities (armed with POST /__personality/NAME, see fault_personality.py):
  tags-max-n     n above `max` (1000) is refused with 400 PAGINATION_NUMBER_INVALID
                 (distribution 3.1); without n, pages of `max` with Link
  tags-ignore-n  n is ignored: pages of `size` (1000) tags (ACR)
  tags-quay      pages of `size` (50) whatever n says, the next one named by an opaque
                 next_page token in Link, never by last= (Quay)
  tags-relative  Link URLs relative to the page's own URL (<list?n=…&last=…>, RFC 3986)
"""
import base64
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


PERSONALITIES = ("tags-max-n", "tags-ignore-n", "tags-quay", "tags-relative")


def page(listing, path, query, fault, personality=None, prefix=""):
    """(status, headers, body) of one page of `listing` (the upstream's JSON); `personality`:
    the armed tag-list personalities, name -> parameters; `prefix`: the path this page was asked
    under (/__redirected/ID on the "other host"), which its Links keep."""
    kind = fault["kind"] if fault else None
    personality = personality or {}
    tags = sorted(listing.get("tags") or [])
    if kind == "hostiletags":
        tags = sorted(tags + HOSTILE_TAGS)
    size = int(query.get("n", "1000"))
    if "tags-max-n" in personality:
        most = int(personality["tags-max-n"].get("max", "1000"))
        if size > most and "n" in query:
            error = {"errors": [{"code": "PAGINATION_NUMBER_INVALID", "message": "invalid number of results requested",
                                 "detail": {"n": size}}]}
            return 400, [("Content-Type", "application/json")], json.dumps(error).encode()
        size = min(size, most)
    if "tags-ignore-n" in personality:
        size = int(personality["tags-ignore-n"].get("size", "1000"))
    quay = personality.get("tags-quay")
    if quay:
        size = int(quay.get("size", "50"))
        if "next_page" in query:
            query = dict(query, last=json.loads(base64.urlsafe_b64decode(query["next_page"].encode()))["after"])
    if "last" in query:
        tags = [t for t in tags if t > query["last"]]
    current, more = tags[:size], len(tags) > size
    body = json.dumps({"name": listing.get("name"), "tags": current}).encode()
    headers = [("Content-Type", "application/json")]
    link = None
    if more:
        last = urllib.parse.quote(current[-1], safe="")
        link = f"{path}?n={size}&last={last}"
        if quay:
            token = base64.urlsafe_b64encode(json.dumps({"after": current[-1], "v": 2}).encode()).decode()
            link = f"{path}?next_page={token}&n={size}"
        if "tags-relative" in personality:
            link = f"{path.rsplit('/', 1)[-1]}?n={size}&last={last}"
    if kind == "looptags" and not more:
        link = f"{path}?n={size}"
    if kind == "endlesstags":
        turn = int(query.get("turn", "0")) + 1
        link = f"{path}?n={size}&turn={turn}"
    if link and kind == "linkhost":
        link = f"http://{fault['other_host']}/__redirected/{fault['ident']}{link}"
    if link and link.startswith("/"):
        link = prefix + link
    if link:
        headers.append(("Link", f'<{link}>; rel="next"'))
    return 200, headers, body
