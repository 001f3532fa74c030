#!/usr/bin/env python3
"""Talks to `secretgate serve` exactly as a script written for GitHub's secret-scanning REST API
does: the documented headers, Link-header pagination, PATCH bodies, and GitHub's error shapes.

usage: github_client.py BASE_URL TOKEN OWNER/REPO EXPECTED_ALERTS
Exits 0 when every check passes, printing one line per check.
"""
import json
import re
import sys
import urllib.error
import urllib.request

base, token, repo, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
HEADERS = {
    "Accept": "application/vnd.github+json",
    "Authorization": "Bearer " + token,
    "X-GitHub-Api-Version": "2022-11-28",
    "User-Agent": "github-client-test",
}


def call(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=dict(HEADERS))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read() or b"null")


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        sys.exit(1)


def paginate(url):
    """What octokit.paginate and PyGithub do: follow rel="next" until there is none."""
    items = []
    while url:
        status, headers, page = call("GET", url)
        check(status == 200, "GET %s -> 200" % url)
        items.extend(page)
        m = re.search(r'<([^>]+)>;\s*rel="next"', headers.get("Link", ""))
        url = m.group(1) if m else None
    return items


alerts = paginate(base + "/api/v3/repos/%s/secret-scanning/alerts?per_page=2&state=open" % repo)
check(len(alerts) == expected, "paginated over every open alert (%d)" % len(alerts))
check(len({a["number"] for a in alerts}) == expected, "no alert twice")
first = alerts[0]
check(first["html_url"].startswith(base + "/"), "html_url on this server")
status, _, one = call("GET", first["url"])
check(status == 200 and one["number"] == first["number"], "GET alert by its url")
status, _, locs = call("GET", first["locations_url"])
check(status == 200 and locs[0]["type"] == "commit" and "path" in locs[0]["details"], "locations")
status, _, err = call("PATCH", first["url"], {"state": "resolved"})
check(status == 422 and "message" in err and "documentation_url" in err, "422 without resolution")
status, _, closed = call("PATCH", first["url"], {"state": "resolved", "resolution": "wont_fix",
                                                 "resolution_comment": "from a GitHub API script"})
check(status == 200 and closed["state"] == "resolved" and closed["resolution"] == "wont_fix", "PATCH resolves")
check(closed["resolved_by"]["login"] == "scripter", "resolved_by is the token's user")
status, _, org = call("GET", base + "/api/v3/orgs/%s/secret-scanning/alerts?state=resolved" % repo.split("/")[0])
check(status == 200 and org[0]["repository"]["full_name"] == repo, "organisation listing")
status, _, _ = call("GET", base + "/api/v3/repos/%s/secret-scanning/alerts?state=nope" % repo)
check(status == 422, "422 for a bad state")
print("all checks passed")
