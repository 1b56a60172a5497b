"""check_url / acheck_url over real loopback servers: reports, redirects, statuses, limits and odd bodies."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import os
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mediacheck._deep
from mediacheck import Limits, Report, acheck_url, check_url
from mediacheck._fetch import SafeFetcher, adownload_to_file, download_to_file
from mediacheck.exceptions import UsageError
from tests.fetch.conftest import LOOPBACK, StubResolver, fetch_all_with, fetch_with
from tests.support.servers import (
    LoopbackServer,
    RawServer,
    Redirect,
    Route,
    Static,
    Stream,
    chunked_with_length,
    drip,
    lying_length,
    reset_after,
    response_head,
)


def _comparable(report: Report) -> dict[str, Any]:
    data = report.to_dict()
    data["fetch"].pop("elapsed_s")
    if report.media is not None and not report.media.complete:
        # An early stop lands somewhere inside the last chunk read, and chunking is the network's choice.
        data["fetch"].pop("bytes_read")
    return data


class TestGoodFile:
    """A good MP3 passes, and the report tells what was fetched."""

    def test_report_has_media_and_fetch_facts(self, short_mp3: bytes) -> None:
        """Status, type, bytes read and the measured duration all land in the report."""
        with LoopbackServer({"/hold.mp3": Static(short_mp3)}) as server:
            report = check_url(server.url("/hold.mp3"), allow_networks=LOOPBACK)
        assert report.ok, report.findings
        assert [f.code for f in report.warnings] == ["url.plain-http"]
        assert report.media is not None
        assert report.media.format == "mp3"
        assert report.media.duration_s == pytest.approx(5.0, abs=0.03)
        assert report.media.bytes == len(short_mp3)
        assert report.fetch is not None
        assert (report.fetch.status, report.fetch.content_type) == (200, "audio/mpeg")
        assert report.fetch.bytes_read == len(short_mp3)
        assert report.fetch.final_url == server.url("/hold.mp3")
        assert report.fetch.redirects == ()

    def test_chunked_body_gives_the_same_verdict(self, short_mp3: bytes) -> None:
        """A chunked body (no Content-Length) in odd-sized chunks measures exactly like a plain one."""
        routes = {"/plain.mp3": Static(short_mp3), "/chunked.mp3": Static(short_mp3, chunked=True, chunk_size=777)}
        with LoopbackServer(routes) as server:
            plain = check_url(server.url("/plain.mp3"), allow_networks=LOOPBACK)
            chunked = check_url(server.url("/chunked.mp3"), allow_networks=LOOPBACK)
        assert chunked.ok
        assert chunked.media == plain.media
        assert chunked.fetch is not None
        assert chunked.fetch.bytes_read == len(short_mp3)

    def test_sync_and_async_give_the_same_report(self, short_mp3: bytes, long_mp3: bytes) -> None:
        """acheck_url and check_url agree on every field but the elapsed time, for a pass and a failure."""
        routes: dict[str, Route] = {"/a": Redirect("/hold.mp3"), "/hold.mp3": Static(short_mp3),
                                    "/long.mp3": Static(long_mp3),
                                    "/gone": Static(b"", status=404, content_type="text/plain")}
        with LoopbackServer(routes) as server:
            for path in ("/a", "/long.mp3", "/gone"):
                sync = check_url(server.url(path), allow_networks=LOOPBACK)
                async_ = asyncio.run(acheck_url(server.url(path), allow_networks=LOOPBACK))
                assert _comparable(sync) == _comparable(async_)

    def test_html_share_page_gets_the_direct_link(self) -> None:
        """A Dropbox dl=0 link that answers 200 with HTML fails as not-MP3 and hints at the dl=1 link."""
        page = b"<!DOCTYPE html><html><head><title>Dropbox</title></head><body>hold.mp3</body></html>"
        with LoopbackServer({"/s/abc/hold.mp3": Static(page, content_type="text/html; charset=utf-8")}) as server:
            resolver = StubResolver({"www.dropbox.com": [["127.0.0.1"]]})
            with SafeFetcher(allow_networks=LOOPBACK, resolver=resolver) as fetcher:
                url = f"http://www.dropbox.com:{server.port}/s/abc/hold.mp3?dl=0"
                report = fetcher.check(url)
        assert not report.ok
        assert "format.not-mp3" in report.codes()
        assert "access.content-type" in report.codes()
        share = next(f for f in report.findings if f.code == "url.share-page")
        assert share.hint is not None
        assert "dl=1" in share.hint

    def test_presigned_url_expiry_is_reported(self, short_mp3: bytes) -> None:
        """A working URL with S3 presign parameters passes but warns when it will stop working."""
        with LoopbackServer({"/hold.mp3": Static(short_mp3)}) as server:
            report = check_url(server.url("/hold.mp3?X-Amz-Date=20990101T000000Z&X-Amz-Expires=3600&X-Amz-Signature=a"),
                               allow_networks=LOOPBACK)
            expired = check_url(server.url("/hold.mp3?X-Amz-Date=20200101T000000Z&X-Amz-Expires=3600"),
                                allow_networks=LOOPBACK)
        assert report.ok
        assert "access.expiring-url" in report.codes()
        assert not expired.ok
        assert [f.code for f in expired.errors] == ["access.expiring-url"]

    def test_expiry_of_the_url_a_redirect_lands_on_is_reported(self, short_mp3: bytes) -> None:
        """A stable link that redirects to a presigned URL warns about the presigned URL's expiry."""
        signed = "/hold.mp3?X-Amz-Date=20990101T000000Z&X-Amz-Expires=600&X-Amz-Signature=a"
        with LoopbackServer({"/stable": Redirect(signed), "/hold.mp3": Static(short_mp3)}) as server:
            report = check_url(server.url("/stable"), allow_networks=LOOPBACK)
        assert report.ok
        expiring = next(f for f in report.findings if f.code == "access.expiring-url")
        assert "2099-01-01 00:10 UTC" in expiring.message

    def test_content_type_is_named(self, short_mp3: bytes) -> None:
        """A real MP3 labelled application/octet-stream passes with a warning naming the label."""
        with LoopbackServer({"/a": Static(short_mp3, content_type="application/octet-stream")}) as server:
            report = check_url(server.url("/a"), allow_networks=LOOPBACK)
        assert report.ok
        warning = next(f for f in report.findings if f.code == "access.content-type")
        assert "application/octet-stream" in warning.message


class TestRedirects:
    """Our own redirect loop: every hop recorded, capped, loop-detected, bodies unread."""

    def test_hops_are_recorded(self, short_mp3: bytes) -> None:
        """Each hop's URL, status and target appear in FetchInfo.redirects, in order."""
        routes: dict[str, Route] = {"/one": Redirect("/two", 301), "/two": Redirect("/hold.mp3", 307),
                                    "/hold.mp3": Static(short_mp3)}
        with LoopbackServer(routes) as server:
            report = check_url(server.url("/one"), allow_networks=LOOPBACK)
        assert report.ok
        assert report.fetch is not None
        assert [(h.url, h.status, h.location) for h in report.fetch.redirects] == [
            (server.url("/one"), 301, server.url("/two")), (server.url("/two"), 307, server.url("/hold.mp3"))]
        assert report.fetch.final_url == server.url("/hold.mp3")

    def test_loop_is_detected(self) -> None:
        """A redirect back to an earlier URL stops at once with access.redirects."""
        with LoopbackServer({"/a": Redirect("/b"), "/b": Redirect("/a")}) as server:
            report = check_url(server.url("/a"), allow_networks=LOOPBACK)
            assert server.hits == {"/a": 1, "/b": 1}
        assert [f.code for f in report.errors] == ["access.redirects"]
        assert "loop" in report.errors[0].message

    def test_hop_cap(self, short_mp3: bytes) -> None:
        """More hops than max_redirects fail; exactly max_redirects pass."""
        routes: dict[str, Any] = {f"/{i}": Redirect(f"/{i + 1}") for i in range(3)}
        routes["/3"] = Static(short_mp3)
        with LoopbackServer(routes) as server:
            ok = check_url(server.url("/0"), limits=Limits(max_redirects=3), allow_networks=LOOPBACK)
            capped = check_url(server.url("/0"), limits=Limits(max_redirects=2), allow_networks=LOOPBACK)
        assert ok.ok
        assert [f.code for f in capped.errors] == ["access.redirects"]

    def test_redirect_bodies_are_never_read(self, short_mp3: bytes) -> None:
        """A redirect with an endless body is followed at once; reading it would hit the deadline."""

        def endless_redirect(conn: Any, head: bytes, stopping: Any) -> None:
            conn.sendall(response_head(302, [("Location", server.url("/hold.mp3")),
                                             ("Transfer-Encoding", "chunked")], content_type="text/html"))
            while not stopping.wait(0.01):
                conn.sendall(b"400\r\n" + b"x" * 1024 + b"\r\n")

        with LoopbackServer({"/hold.mp3": Static(short_mp3)}) as server, RawServer(endless_redirect) as raw:
            report = check_url(raw.url("/go"), limits=Limits(timeout_s=5), allow_networks=LOOPBACK)
        assert report.ok, report.findings
        assert report.fetch is not None
        assert report.fetch.bytes_read == len(short_mp3)

    def test_redirect_to_a_forbidden_scheme_is_refused(self) -> None:
        """A hop to file:// is refused by the URL policy and the message says a redirect led there."""
        with LoopbackServer({"/a": Redirect("file:///etc/passwd")}) as server:
            report = check_url(server.url("/a"), allow_networks=LOOPBACK)
        assert [f.code for f in report.errors] == ["url.scheme"]
        assert "redirects to" in report.errors[0].message


class TestStatuses:
    """A non-2xx answer is access.http-status with the status and its usual meaning; the body is not judged."""

    @pytest.mark.parametrize(("status", "words"), [(401, "login"), (403, "private object"), (404, "path is wrong"),
                                                   (500, "server failed")])
    def test_status(self, status: int, words: str) -> None:
        """The finding names the status and what it usually means."""
        with LoopbackServer({"/a": Static(b"<html>nope</html>", status=status, content_type="text/html")}) as server:
            report = check_url(server.url("/a"), allow_networks=LOOPBACK)
        assert [f.code for f in report.errors] == ["access.http-status"]
        assert f"HTTP {status}" in report.errors[0].message
        assert words in report.errors[0].message
        assert report.media is None
        assert report.fetch is not None
        assert report.fetch.status == status
        assert report.fetch.bytes_read == 0


class TestLimits:
    """The fetch reads no more than the verdict needs."""

    def test_content_length_over_the_limit_reads_no_body(self, short_mp3: bytes) -> None:
        """A Content-Length at or over the size limit fails before a single body byte is read."""
        with LoopbackServer({"/big.mp3": Static(short_mp3)}) as server:
            report = check_url(server.url("/big.mp3"), limits=Limits(size_limit_bytes=len(short_mp3)),
                               allow_networks=LOOPBACK)
        assert [f.code for f in report.errors] == ["size.too-large"]
        assert f"{len(short_mp3):,}" in report.errors[0].message
        assert report.fetch is not None
        assert report.fetch.bytes_read == 0

    def test_endless_stream_stops_at_the_size_limit(self, short_mp3: bytes) -> None:
        """An endless chunked MP3 stream is cut off just past the size limit (with the duration limit lifted)."""
        frames = short_mp3[short_mp3.index(b"\xff\xfb"):]

        def endless() -> Iterator[bytes]:
            return itertools.repeat(frames[: len(frames) // 418 * 418 or len(frames)])

        limits = Limits(size_limit_bytes=300_000, duration_limit_s=10_000)
        with LoopbackServer({"/live": Stream(endless)}) as server:
            report = check_url(server.url("/live"), limits=limits, allow_networks=LOOPBACK)
        assert "size.too-large" in report.codes()
        assert report.fetch is not None
        assert 300_000 <= report.fetch.bytes_read < 300_000 + 70_000

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_reading_stops_at_the_verdict(self, mode: str, short_mp3: bytes) -> None:
        """A 1.2 MB chunked body under a 300 KB limit is dropped just past the limit, sync and async alike."""
        frames = short_mp3[short_mp3.index(b"\xff\xfb"):]
        body = frames * (1_200_000 // len(frames) + 1)
        limits = Limits(size_limit_bytes=300_000, duration_limit_s=10_000)
        with LoopbackServer({"/big": Static(body, chunked=True)}) as server, \
                SafeFetcher(limits=limits, allow_networks=LOOPBACK) as fetcher:
            report = fetch_with(fetcher, server.url("/big"), mode)
        assert "size.too-large" in report.codes()
        assert report.fetch is not None
        assert 300_000 <= report.fetch.bytes_read < 300_000 + 70_000

    def test_long_file_stops_at_the_duration_limit(self, long_mp3: bytes) -> None:
        """A 90-second file sent chunked is judged too long after about 60 seconds' worth of bytes."""
        with LoopbackServer({"/long.mp3": Static(long_mp3, chunked=True)}) as server:
            report = check_url(server.url("/long.mp3"), allow_networks=LOOPBACK)
        assert "duration.too-long" in report.codes()
        assert report.fetch is not None
        assert report.fetch.bytes_read < len(long_mp3) * 0.8

    def test_drip_feed_is_stopped_by_the_total_deadline(self) -> None:
        """A server sending a byte every 0.2 s never trips a per-read timeout; the total deadline stops it."""
        with RawServer(drip(b"\xff" * 60, 0.2)) as server:
            report = check_url(server.url("/drip.mp3"), limits=Limits(timeout_s=1.5), allow_networks=LOOPBACK)
        assert [f.code for f in report.errors] == ["access.timeout"]
        assert report.fetch is not None
        assert 0 < report.fetch.bytes_read < 30

    def test_drip_feed_async(self) -> None:
        """The async fetch obeys the same total deadline."""
        with RawServer(drip(b"\xff" * 60, 0.2)) as server:
            report = asyncio.run(acheck_url(server.url("/d"), limits=Limits(timeout_s=1.5), allow_networks=LOOPBACK))
        assert [f.code for f in report.errors] == ["access.timeout"]

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_slow_dns_is_inside_the_deadline(self, mode: str) -> None:
        """A resolver that hangs is abandoned at the deadline: the check answers while the lookup still hangs."""
        release = threading.Event()
        finished = threading.Event()

        def hanging(host: str, port: int) -> list[str]:
            release.wait(20)  # past the deadline: only the deadline can end the check in time
            finished.set()
            return ["127.0.0.1"]

        try:
            with SafeFetcher(limits=Limits(timeout_s=0.5), allow_networks=LOOPBACK, resolver=hanging) as fetcher:
                report = fetch_with(fetcher, "http://slow.example:9/a.mp3", mode)
            # Waiting for the lookup instead of the deadline would have let it finish first.
            assert not finished.is_set()
        finally:
            release.set()
        assert [f.code for f in report.errors] == ["access.timeout"]

    def test_gzip_bomb_is_refused_unread(self) -> None:
        """A gzip-encoded body (10 MB inflating to 10 GB would be worse) is refused without inflating it."""
        bomb = gzip.compress(b"\0" * 20_000_000, compresslevel=9)
        with LoopbackServer({"/bomb.mp3": Static(bomb, headers=(("Content-Encoding", "gzip"),))}) as server:
            tracemalloc.start()
            try:
                report = check_url(server.url("/bomb.mp3"), limits=Limits(size_limit_bytes=100_000_000),
                                   allow_networks=LOOPBACK)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert [f.code for f in report.errors] == ["access.content-encoding"]
        assert report.fetch is not None
        assert report.fetch.bytes_read == 0
        assert peak < 5_000_000

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_request_asks_for_identity_and_sends_no_credentials(self, mode: str, short_mp3: bytes) -> None:
        """Requests carry Accept-Encoding: identity and no Cookie or Authorization, even after Set-Cookie."""
        seen: list[dict[str, str]] = []

        def recording(handler: Any) -> None:
            seen.append({k.lower(): v for k, v in handler.headers.items()})
            if handler.path == "/first":
                handler.send_response(302)
                handler.send_header("Location", "/second")
                handler.send_header("Set-Cookie", "session=secret; Path=/")
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
            handler.send_response(200)
            handler.send_header("Content-Type", "audio/mpeg")
            handler.send_header("Content-Length", str(len(short_mp3)))
            handler.end_headers()
            handler.wfile.write(short_mp3)

        with LoopbackServer({"/first": recording, "/second": recording}) as server, \
                SafeFetcher(allow_networks=LOOPBACK) as fetcher:
            urls = [server.url("/first"), server.url("/second")]
            reports = fetch_all_with(fetcher, urls, mode)
            assert all(report.ok for report in reports)
        assert len(seen) == 3
        for headers in seen:
            assert headers["accept-encoding"] == "identity"
            assert "cookie" not in headers
            assert "authorization" not in headers


class TestBrokenBodies:
    """Bodies that end wrong are access.incomplete, with how far they got."""

    def test_reset_mid_body(self, short_mp3: bytes) -> None:
        """A connection reset after 10 KB of a 40 KB body fails, saying how many bytes arrived."""
        with RawServer(reset_after(short_mp3, 10_000)) as server:
            report = check_url(server.url("/a.mp3"), allow_networks=LOOPBACK)
        assert [f.code for f in report.errors] == ["access.incomplete"]
        assert f"of {len(short_mp3):,}" in report.errors[0].message
        assert report.fetch is not None
        assert report.fetch.bytes_read == 10_000

    def test_content_length_that_promises_more(self, short_mp3: bytes) -> None:
        """A body shorter than its Content-Length fails as incomplete instead of passing as a short file."""
        with RawServer(lying_length(short_mp3, len(short_mp3) * 2)) as server:
            report = check_url(server.url("/a.mp3"), allow_networks=LOOPBACK)
        assert [f.code for f in report.errors] == ["access.incomplete"]
        assert report.fetch is not None
        assert report.fetch.bytes_read == len(short_mp3)

    def test_content_length_that_promises_less(self, short_mp3: bytes) -> None:
        """Bytes past a too-small Content-Length are not read: the file is judged on what was announced."""
        with RawServer(lying_length(short_mp3, 1000)) as server:
            report = check_url(server.url("/a.mp3"), allow_networks=LOOPBACK)
        assert report.fetch is not None
        assert report.fetch.bytes_read == 1000
        assert report.media is not None
        assert report.media.bytes == 1000

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_a_chunked_body_over_the_limit_fails_whatever_its_content_length_says(self, short_mp3: bytes,
                                                                                   mode: str) -> None:
        """A chunked body also sending "Content-Length: 1000" arrives whole (the chunked framing wins, RFC 9112
        6.3): the header is not reported, and the size judged is the bytes read, so a body over the limit fails
        with size.too-large instead of passing as 1000."""
        limits = Limits(size_limit_bytes=len(short_mp3) // 2)
        with RawServer(chunked_with_length(short_mp3, 1000)) as server, \
                SafeFetcher(limits=limits, allow_networks=LOOPBACK) as fetcher:
            report = fetch_with(fetcher, server.url("/a.mp3"), mode)
        assert report.fetch is not None
        assert report.fetch.content_length is None
        assert report.fetch.bytes_read >= limits.size_limit_bytes
        assert [f.code for f in report.errors] == ["size.too-large"]
        assert report.media is not None
        assert report.media.bytes >= limits.size_limit_bytes

    def test_connection_refused_is_unreachable(self) -> None:
        """Nothing listening on the port is access.unreachable, naming the reason."""
        from tests.support.servers import TcpProbe

        with TcpProbe() as probe:
            port = probe.port
        report = check_url(f"http://127.0.0.1:{port}/a.mp3", allow_networks=LOOPBACK)
        assert [f.code for f in report.errors] == ["access.unreachable"]
        assert "refused" in report.errors[0].message


class TestDownload:
    """download_to_file: the same guard, writing the body to a file up to a byte cap."""

    def test_downloads_past_the_size_limit(self, long_mp3: bytes, tmp_path: Path) -> None:
        """The byte cap, not the size limit, bounds a download (fix shrinks oversized files)."""
        dst = tmp_path / "in.mp3"
        with LoopbackServer({"/a": Redirect("/long.mp3"), "/long.mp3": Static(long_mp3)}) as server:
            fetch, findings = download_to_file(server.url("/a"), dst, max_bytes=10 * len(long_mp3),
                                               limits=Limits(size_limit_bytes=1000), allow_networks=LOOPBACK)
        assert dst.read_bytes() == long_mp3
        assert [f.code for f in findings] == ["url.plain-http"]
        assert fetch.bytes_read == len(long_mp3)
        assert len(fetch.redirects) == 1

    def test_over_the_cap_fails_and_leaves_no_file(self, long_mp3: bytes, tmp_path: Path) -> None:
        """A body over max_bytes (announced or streamed) is size.too-large and the partial file is removed."""
        dst = tmp_path / "in.mp3"
        routes = {"/a": Static(long_mp3), "/c": Static(long_mp3, chunked=True)}
        with LoopbackServer(routes) as server:
            for path in ("/a", "/c"):
                fetch, findings = download_to_file(server.url(path), dst, max_bytes=1000, allow_networks=LOOPBACK)
                assert "size.too-large" in [f.code for f in findings]
                assert not dst.exists()
                assert fetch.bytes_read <= 70_000

    @pytest.mark.parametrize("mode", ["sync", "async"])
    @pytest.mark.parametrize("where", ["a folder", "in a missing folder", "under a file", "with a NUL byte"])
    def test_a_destination_that_cannot_be_written_is_a_usage_error(self, where: str, mode: str,
                                                                    tmp_path: Path) -> None:
        """A destination that cannot be opened for writing is the caller's mistake: UsageError naming dst and
        why, not a raw OSError or ValueError, and nothing is fetched."""
        (tmp_path / "file").write_bytes(b"x")
        dst = {"a folder": str(tmp_path), "in a missing folder": str(tmp_path / "missing" / "in.mp3"),
               "under a file": str(tmp_path / "file" / "in.mp3"), "with a NUL byte": str(tmp_path / "in\0.mp3")}[where]

        def download(url: str) -> object:
            if mode == "sync":
                return download_to_file(url, dst, max_bytes=1000, allow_networks=LOOPBACK)
            return asyncio.run(adownload_to_file(url, dst, max_bytes=1000, allow_networks=LOOPBACK))

        with LoopbackServer({"/a": Static(b"x")}) as server:
            with pytest.raises(UsageError, match="dst") as raised:
                download(server.url("/a"))
            assert server.hits == {}
        assert "cannot be written" in str(raised.value)

    @pytest.mark.parametrize("mode", ["sync", "async"])
    def test_a_failed_download_leaves_the_existing_file_as_it_was(self, mode: str, long_mp3: bytes,
                                                                  tmp_path: Path) -> None:
        """Over the cap, a 404 or a refused address: the file already at dst keeps its bytes and no staged file
        is left in the folder; a complete download then replaces it and keeps its mode."""
        dst = tmp_path / "hold.mp3"
        dst.write_bytes(b"the user's own file")
        dst.chmod(0o640)

        def download(url: str, allow: tuple[str, ...] = LOOPBACK) -> list[str]:
            if mode == "sync":
                _, findings = download_to_file(url, dst, max_bytes=1000, allow_networks=allow)
            else:
                _, findings = asyncio.run(adownload_to_file(url, dst, max_bytes=1000, allow_networks=allow))
            return [f.code for f in findings if f.severity.value == "error"]

        with LoopbackServer({"/long.mp3": Static(long_mp3, chunked=True), "/ok.mp3": Static(b"new bytes")}) as server:
            assert download(server.url("/long.mp3")) == ["size.too-large"]
            assert download(server.url("/missing.mp3")) == ["access.http-status"]
            assert download(server.url("/ok.mp3"), allow=()) == ["access.blocked-address"]
            assert dst.read_bytes() == b"the user's own file"
            assert sorted(p.name for p in tmp_path.iterdir()) == ["hold.mp3"]
            assert download(server.url("/ok.mp3")) == []
        assert dst.read_bytes() == b"new bytes"
        assert dst.stat().st_mode & 0o777 == 0o640
        assert sorted(p.name for p in tmp_path.iterdir()) == ["hold.mp3"]

    def test_a_name_at_the_file_system_limit_is_written(self, tmp_path: Path) -> None:
        """A dst whose name takes 252 of the 255 bytes a name may have (63 four-byte characters) is written: the
        staged file beside it takes a shorter name, not dst's name plus a suffix."""
        dst = tmp_path / ("\N{MUSICAL SYMBOL G CLEF}" * 62 + ".mp3")
        assert len(os.fsencode(dst.name)) == 252
        with LoopbackServer({"/ok.mp3": Static(b"new bytes")}) as server:
            _, findings = download_to_file(server.url("/ok.mp3"), dst, max_bytes=1000, allow_networks=LOOPBACK)
        assert [f.code for f in findings] == ["url.plain-http"]
        assert dst.read_bytes() == b"new bytes"

    def test_a_new_file_gets_the_umask(self, tmp_path: Path) -> None:
        """A downloaded file is created like any other: mode 0666 less the umask (not a temporary file's 0600)."""
        old = os.umask(0o027)
        try:
            with LoopbackServer({"/ok.mp3": Static(b"new bytes")}) as server:
                download_to_file(server.url("/ok.mp3"), tmp_path / "a.mp3", max_bytes=1000, allow_networks=LOOPBACK)
        finally:
            os.umask(old)
        assert (tmp_path / "a.mp3").stat().st_mode & 0o777 == 0o640

    @pytest.mark.parametrize("kind", ["symbolic link", "device"])
    def test_a_link_or_device_is_refused_before_fetching(self, kind: str, tmp_path: Path) -> None:
        """dst is replaced only when it is a regular file: a symbolic link (replacing it would surprise whoever
        made it) or a device (/dev/null would become a file) is a UsageError, and nothing is fetched."""
        target = tmp_path / "elsewhere.mp3"
        target.write_bytes(b"kept")
        dst = tmp_path / "link.mp3"
        if kind == "symbolic link":
            dst.symlink_to(target)
        else:
            dst = Path("/dev/null")
        with LoopbackServer({"/a": Static(b"x")}) as server:
            with pytest.raises(UsageError, match="cannot be written: it is"):
                download_to_file(server.url("/a"), dst, max_bytes=1000, allow_networks=LOOPBACK)
            assert server.hits == {}
        assert target.read_bytes() == b"kept"
        assert Path("/dev/null").is_char_device()

    def test_refused_address(self, tmp_path: Path) -> None:
        """Without an allowance loopback is refused, and no file is left behind."""
        dst = tmp_path / "in.mp3"
        with LoopbackServer({"/a": Static(b"x")}) as server:
            _, findings = asyncio.run(adownload_to_file(server.url("/a"), dst, max_bytes=1000))
            assert server.hits == {}
        assert next(f.code for f in findings) == "access.blocked-address"
        assert not dst.exists()


def test_deep_check_gets_the_body_in_a_file(short_mp3: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """deep=True tees the fetched body into a file and hands it to the deep check with the core report."""
    received: list[tuple[Report, bytes]] = []

    def recording_deep_check(report: Report, path: Path, limits: Limits) -> Report:
        received.append((report, path.read_bytes()))
        return report

    monkeypatch.setattr(mediacheck._deep, "deep_check_file", recording_deep_check)
    with LoopbackServer({"/hold.mp3": Static(short_mp3, chunked=True)}) as server:
        report = check_url(server.url("/hold.mp3"), allow_networks=LOOPBACK, deep=True)
        areport = asyncio.run(acheck_url(server.url("/hold.mp3"), allow_networks=LOOPBACK, deep=True))
    assert [body for _, body in received] == [short_mp3, short_mp3]
    assert received[0][0] == report
    assert received[1][0] == areport


def test_deep_check_tee_holds_at_most_the_size_limit(short_mp3: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file a deep check reads never grows past the size limit, whatever chunk crosses it."""
    received: list[int] = []

    def recording_deep_check(report: Report, path: Path, limits: Limits) -> Report:
        received.append(path.stat().st_size)
        return report

    monkeypatch.setattr(mediacheck._deep, "deep_check_file", recording_deep_check)
    limits = Limits(size_limit_bytes=10_000)
    with LoopbackServer({"/hold.mp3": Static(short_mp3, chunked=True)}) as server:
        report = check_url(server.url("/hold.mp3"), limits=limits, allow_networks=LOOPBACK, deep=True)
    assert "size.too-large" in report.codes()
    assert received == [10_000]


@pytest.mark.ffmpeg
def test_deep_check_of_a_url_decodes_the_fetched_body(short_mp3: bytes) -> None:
    """With the audio extra installed, deep=True on a URL decodes what was fetched (5 s of tone)."""
    with LoopbackServer({"/hold.mp3": Static(short_mp3)}) as server:
        report = check_url(server.url("/hold.mp3"), allow_networks=LOOPBACK, deep=True)
    assert report.media is not None
    assert report.media.audio is not None
    assert report.media.audio["decoded_duration_s"] == pytest.approx(5.0, abs=0.05)
