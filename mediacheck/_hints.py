"""Findings that explain how hold-music URLs fail in practice: share pages, expiring presigned URLs, statuses.

Each function looks at a URL or a response header and returns a finding with the fix in its hint: the direct
link for a Dropbox, Google Drive, OneDrive/SharePoint or GitHub page; when a presigned S3, GCS, Azure SAS or
CloudFront URL expires; what an HTTP status usually means for a file someone meant to share.
"""

from __future__ import annotations

import re
import urllib.parse
from datetime import UTC, datetime, timedelta

from mediacheck._report import Finding, Severity
from mediacheck._urlpolicy import shorten

_STATUS_MEANING: dict[int, tuple[str, str]] = {
    400: ("the server calls the request malformed, which for a presigned URL often means a damaged signature",
          "Copy the URL again in full; presigned URLs break when cut or re-encoded."),
    401: ("the file needs a login, so it is not public",
          "Make the file public, or use a presigned URL that carries its own permission."),
    403: ("access is denied: usually a private object (the bucket or file is not public) or an expired or "
          "invalid signature on a presigned URL",
          "Make the object publicly readable, or generate a fresh presigned URL (better: a permanent public one)."),
    404: ("nothing is at this address: the path is wrong or the file was moved or deleted",
          "Check the path, letter case included, and that the file was uploaded."),
    405: ("the server does not allow GET on this address", "Use the URL that downloads the file itself."),
    410: ("the file was deleted on purpose", "Upload the file again and use its new URL."),
    429: ("the server is rate-limiting requests", "Host the file where it can be fetched freely (a CDN)."),
    451: ("the file is blocked for legal reasons", "Host hold music you have the rights to."),
}


def status_finding(status: int, url: str) -> Finding:
    """The access.http-status finding for a final answer that is not 2xx, saying what the status usually means."""
    meaning, hint = _STATUS_MEANING.get(status, ("", ""))
    if not meaning:
        if status >= 500:
            meaning = "the server failed (a server error, not a problem with the file)"
            hint = "Try again later; if it persists, the file's host must fix its server."
        elif 300 <= status < 400:
            meaning = "a redirect without a usable Location header"
            hint = "Use the final URL of the file instead."
        else:
            meaning = "the server did not send the file"
            hint = "Open the URL in a browser and check that it downloads the MP3."
    return Finding("access.http-status", Severity.ERROR, f"{shorten(url)} answered HTTP {status}: {meaning}.",
                   hint)


def content_type_finding(content_type: str | None) -> Finding | None:
    """A warning when the Content-Type is not audio/mpeg (players and APIs may judge by it)."""
    if content_type is None:
        return Finding("access.content-type", Severity.WARNING, "The server sends no Content-Type header.",
                       "Configure the server to send Content-Type: audio/mpeg for .mp3 files.")
    essence = content_type.split(";", 1)[0].strip().lower()
    if essence == "audio/mpeg":
        return None
    return Finding("access.content-type", Severity.WARNING,
                   f"The server labels the file {shorten(content_type)!r}, not audio/mpeg.",
                   "Configure the server (or the object's metadata) to send Content-Type: audio/mpeg.")


def plain_http_finding(url: str) -> Finding:
    """A warning that the URL is plain http (no TLS): anyone on the path can swap the audio."""
    return Finding("url.plain-http", Severity.WARNING,
                   f"{shorten(url)} is plain http, so the audio can be altered or blocked in transit.",
                   "Serve the file over https:// and use that URL.")


def _split(url: str) -> urllib.parse.SplitResult | None:
    # Hints read URLs the policy may have refused (http://[::1, a Location like http://a]b/): urlsplit raises.
    try:
        return urllib.parse.urlsplit(url)
    except ValueError:
        return None


def _direct_link(url: str) -> tuple[str, str | None] | None:
    """(service name, direct download link or None when it cannot be derived) for a known share-page URL."""
    parts = _split(url)
    if parts is None:
        return None
    host = (parts.hostname or "").lower()
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if host in ("dropbox.com", "www.dropbox.com"):
        params = dict(query)
        if params.get("dl") == "1" or params.get("raw") == "1":
            return None
        fixed = [(k, v) for k, v in query if k != "dl"] + [("dl", "1")]
        return "Dropbox", urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(fixed)))
    if host == "drive.google.com":
        match = re.match(r"/file/d/([\w-]+)", parts.path)
        file_id = match.group(1) if match else dict(query).get("id") if parts.path in ("/open", "/uc") else None
        if parts.path == "/uc" and dict(query).get("export") == "download":
            return None
        if file_id is None:
            return None
        return "Google Drive", f"https://drive.google.com/uc?export=download&id={file_id}"
    if host == "onedrive.live.com":
        if parts.path.startswith("/download"):
            return None
        path = re.sub(r"^/(redir|embed)", "/download", parts.path)
        return "OneDrive", (urllib.parse.urlunsplit(parts._replace(path=path)) if path != parts.path else None)
    if host == "1drv.ms":
        return "OneDrive", None
    if host.endswith(".sharepoint.com") and "download=1" not in parts.query:
        fixed = [(k, v) for k, v in query if k != "download"] + [("download", "1")]
        return "SharePoint", urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(fixed)))
    if host in ("github.com", "www.github.com"):
        match = re.match(r"/([^/]+)/([^/]+)/blob/(.+)", parts.path)
        if match is None:
            return None
        owner, repo, rest = match.groups()
        return "GitHub", f"https://raw.githubusercontent.com/{owner}/{repo}/{rest}"
    return None


def share_page_finding(url: str) -> Finding | None:
    """A warning, with the direct link in the hint, when ``url`` is a share page rather than the file itself."""
    found = _direct_link(url)
    if found is None:
        return None
    service, direct = found
    hint = (f"Use the direct download link instead: {direct}" if direct is not None else
            f"Open the {service} link in a browser, start the download, and use the address the file comes from.")
    return Finding("url.share-page", Severity.WARNING,
                   f"This is a {service} share page, which serves a web page about the file, not the MP3 itself.",
                   hint)


def _first(query: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = query.get(name.lower())
        if value:
            return value
    return None


def _amz_date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _iso_date(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def presigned_expiry(url: str) -> tuple[str, datetime] | None:
    """(kind of presigned URL, when it expires) if the query string carries an expiry, else None."""
    parts = _split(url)
    if parts is None:
        return None
    raw = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = {key.lower(): value for key, value in raw}
    for kind, date_key, seconds_key in (("S3 presigned", "x-amz-date", "x-amz-expires"),
                                        ("Google Cloud Storage signed", "x-goog-date", "x-goog-expires")):
        date_value, seconds_value = _first(query, date_key), _first(query, seconds_key)
        if date_value and seconds_value and seconds_value.isascii() and seconds_value.isdigit():
            start = _amz_date(date_value)
            try:
                expires = None if start is None else start + timedelta(seconds=int(seconds_value))
            except OverflowError:  # past the year 9999: nothing a caller could hear expire
                expires = None
            if expires is not None:
                return kind, expires
    if "se" in query and ("sig" in query or "sv" in query):
        expiry = _iso_date(query["se"])
        if expiry is not None:
            return "Azure SAS", expiry
    if query.get("expires", "").isdigit():
        kind = ("CloudFront signed" if "key-pair-id" in query else
                "Google Cloud Storage signed" if "googleaccessid" in query else
                "S3 presigned" if "awsaccesskeyid" in query else "signed")
        try:
            return kind, datetime.fromtimestamp(int(query["expires"]), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days} day{'s' * (days != 1)}, {hours} hour{'s' * (hours != 1)}"
    if hours:
        return f"{hours} hour{'s' * (hours != 1)}, {rest // 60} min"
    return f"{rest // 60} min {rest % 60} s"


def signed_with_temporary_credentials(url: str) -> bool:
    """True when an S3 presigned URL carries X-Amz-Security-Token: it was signed with temporary credentials."""
    parts = _split(url)
    if parts is None:
        return False
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    return any(key.lower() == "x-amz-security-token" and value for key, value in query)


def expiry_finding(url: str, now: datetime | None = None) -> Finding | None:
    """access.expiring-url for a presigned URL: a warning saying when it expires, an error once it has.

    S3 checks the credentials behind a signature as well as its date, so a URL signed with temporary
    credentials (an assumed role, an instance profile, an STS session: the URL then carries
    X-Amz-Security-Token) stops working when they expire, whatever X-Amz-Expires says. When that is, the URL
    does not show: a role session lasts 1 hour by default, instance-profile credentials are rotated within
    6 hours, and no STS session outlives 36 hours (AWS: "Sharing objects with presigned URLs").
    """
    found = presigned_expiry(url)
    temporary = signed_with_temporary_credentials(url)
    now = now or datetime.now(UTC)
    kind, expires = found if found is not None else ("S3 presigned", None)
    when = expires.strftime("%Y-%m-%d %H:%M UTC") if expires is not None else ""
    if expires is not None and expires <= now:
        return Finding("access.expiring-url", Severity.ERROR,
                       f"This {kind} URL expired at {when} ({_span(now - expires)} ago).",
                       "Give a permanent public URL; a fresh presigned one would expire again.")
    if temporary:
        named = f" (it names {when})" if when else ""
        return Finding("access.expiring-url", Severity.WARNING,
                       f"This {kind} URL is signed with temporary credentials (X-Amz-Security-Token), so it stops "
                       f"working when they expire, whatever its expiry date says{named}: a time the URL does not "
                       "show, often within hours (1 hour for a default role session, at most 36 hours).",
                       "Give a permanent public URL (a public object or CDN path); a presigned URL signed with a "
                       "role's or an instance's temporary credentials can die before the next caller is on hold.")
    if expires is None:
        return None
    return Finding("access.expiring-url", Severity.WARNING,
                   f"This {kind} URL expires at {when} (in {_span(expires - now)}); the hold music stops then.",
                   "Give a permanent public URL (a public object or CDN path) instead of a presigned one.")
