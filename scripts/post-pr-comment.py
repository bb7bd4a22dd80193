#!/usr/bin/python3
"""Posts a Markdown file as the pull request's sticky bench-all comment: the comment that starts with
the marker <!-- bench-all:pr-comment --> is edited when it exists, else one is created, so each push
updates one comment instead of adding another. Uses GitHub's REST API with $GITHUB_TOKEN (the workflow
token), $GITHUB_REPOSITORY, $GITHUB_EVENT_PATH (the pull_request event) and $GITHUB_API_URL. Skips with a
message, exit 0, where it may not post: no token, not a pull request, or a pull request from a fork
(whose workflow token is read-only). Exit 1 when the API refuses.
Usage: post-pr-comment.py COMMENT.md"""
import json
import os
import sys
import urllib.error
import urllib.request

MARKER = "<!-- bench-all:pr-comment -->"


def api(method, url, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def pull_request():
    """(number, reason to skip) from the event file."""
    path = os.environ.get("GITHUB_EVENT_PATH", "")
    if not path or not os.path.isfile(path):
        return None, "no GITHUB_EVENT_PATH (not running in GitHub Actions)"
    with open(path, encoding="utf-8") as f:
        event = json.load(f)
    pr = event.get("pull_request")
    if not pr:
        return None, "the event is not a pull request"
    head = ((pr.get("head") or {}).get("repo") or {}).get("full_name")
    base = ((pr.get("base") or {}).get("repo") or {}).get("full_name")
    if head != base:
        return None, f"pull request from the fork {head}: the workflow token may not comment"
    return pr["number"], ""


def sticky_comment(base, repo, number, token):
    page = 1
    while True:
        batch = api("GET", f"{base}/repos/{repo}/issues/{number}/comments?per_page=100&page={page}", token)
        for c in batch:
            if (c.get("body") or "").startswith(MARKER):
                return c["id"]
        if len(batch) < 100:
            return None
        page += 1


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        body = f.read()
    if not body.startswith(MARKER):
        print(f"pr-comment: error: {sys.argv[1]} does not start with {MARKER}", file=sys.stderr)
        return 1
    token, repo = os.environ.get("GITHUB_TOKEN", ""), os.environ.get("GITHUB_REPOSITORY", "")
    number, why = pull_request()
    if not token or not repo:
        why = why or "no GITHUB_TOKEN or GITHUB_REPOSITORY"
    if why:
        print(f"pr-comment: SKIPPED posting: {why}; the comment is in {sys.argv[1]}")
        return 0
    base = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    try:
        existing = sticky_comment(base, repo, number, token)
        if existing:
            api("PATCH", f"{base}/repos/{repo}/issues/comments/{existing}", token, {"body": body})
            print(f"pr-comment: updated comment {existing} on pull request #{number}")
        else:
            c = api("POST", f"{base}/repos/{repo}/issues/{number}/comments", token, {"body": body})
            print(f"pr-comment: posted comment {c.get('id')} on pull request #{number}")
    except urllib.error.HTTPError as e:
        print(f"pr-comment: error: GitHub API {e.code} {e.reason} (does the job have pull-requests: write?)", file=sys.stderr)
        return 1
    except urllib.error.URLError as e:
        print(f"pr-comment: error: GitHub API unreachable: {e.reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
