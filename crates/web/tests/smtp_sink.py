#!/usr/bin/env python3
"""A real SMTP server for Gugus tests: accepts mail on 127.0.0.1 and appends every message
to a JSON-lines file (envelope, raw data and what Python's own `email` parser makes of it),
so the tests check our client against an independent implementation, not a mock.

Usage: smtp_sink.py PORT OUTFILE [--exit-on-stdin-eof] [--auth USER:PASS]
  PORT 0 picks a free port; the chosen one is printed as `PORT <n>` (then `BACKEND <name>`).
  --exit-on-stdin-eof  stop when stdin closes (the test harness holds the pipe, so the sink
                       cannot outlive a killed test process).
  --auth USER:PASS     advertise and require AUTH PLAIN/LOGIN over plain text (aiosmtpd only).

Backend: aiosmtpd when importable, else the standard library's smtpd + asyncore (Python
<= 3.11). SMTP_SINK_BACKEND=aiosmtpd|smtpd forces one. Recipients containing "reject" get
554 at the end of DATA, so tests can see a real rejection (the message is still recorded).

Each JSON line: mail_from, rcpt_tos, mail_options, data (CRLF turned into LF, dots already
unstuffed by the server), backend, login (AUTH identity or null), and when the data parses:
headers ([name, decoded value] pairs), subject (RFC 2047 decoded), raw_subject, body
(transfer-decoded), content_type, date_epoch (Date header as Unix seconds, or null).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import socket
import sys
import threading
import warnings

SINK_HOSTNAME = "sink.test.invalid"


def describe(data: bytes) -> dict:
    """What Python's email package reads in the message; tests compare with this."""
    out = {}
    try:
        raw = email.message_from_bytes(data, policy=email.policy.compat32)
        out["raw_subject"] = raw.get("Subject")
        msg = email.message_from_bytes(data, policy=email.policy.default.clone(linesep="\n"))
        out["headers"] = [[k, str(v)] for k, v in msg.items()]
        out["subject"] = str(msg["Subject"]) if msg["Subject"] is not None else None
        out["content_type"] = msg.get_content_type()
        out["charset"] = msg.get_content_charset()
        out["transfer_encoding"] = msg.get("Content-Transfer-Encoding")
        out["body"] = msg.get_content()
        date = msg["Date"]
        dt = getattr(date, "datetime", None) if date is not None else None
        out["date_epoch"] = dt.timestamp() if dt is not None and dt.tzinfo is not None else None
        out["defects"] = [type(d).__name__ for d in msg.defects]
    except Exception as e:  # noqa: BLE001 - the raw data is still recorded
        out["parse_error"] = repr(e)
    return out


class Recorder:
    def __init__(self, path: str, backend: str):
        self.path = path
        self.backend = backend
        self.lock = threading.Lock()

    def record(self, mail_from, rcpt_tos, data: bytes, mail_options, login) -> str | None:
        """Appends one JSON line; returns an SMTP error reply or None for 250."""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        data = data.replace(b"\r\n", b"\n")
        entry = {
            "backend": self.backend,
            "mail_from": mail_from,
            "rcpt_tos": list(rcpt_tos),
            "mail_options": list(mail_options or []),
            "login": login,
            "data": data.decode("utf-8", "replace"),
        }
        entry.update(describe(data))
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self.lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
        if any("reject" in r for r in rcpt_tos):
            return "554 5.7.1 Rejected by the test sink"
        return None


def announce(port: int, backend: str) -> None:
    print(f"PORT {port}", flush=True)
    print(f"BACKEND {backend}", flush=True)


def run_aiosmtpd(args, recorder: Recorder) -> None:
    import asyncio
    import logging

    # aiosmtpd warns (logger and UserWarning) about AUTH without TLS: deliberate here.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    warnings.simplefilter("ignore", UserWarning)
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            login = session.auth_data.login.decode("utf-8", "replace") if isinstance(
                session.auth_data, LoginPassword) else None
            err = recorder.record(envelope.mail_from, envelope.rcpt_tos,
                                  envelope.original_content, envelope.mail_options, login)
            return err or "250 OK"

    kwargs = {"hostname": SINK_HOSTNAME}
    if args.auth is not None:
        user, _, password = args.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword)
                  and auth_data.login == user.encode() and auth_data.password == password.encode())
            # handled=False: let aiosmtpd send its 535 (its default leaves the client hanging).
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        kwargs.update(auth_require_tls=False, auth_required=True, authenticator=authenticator)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(Handler(), loop=loop, **kwargs), host="127.0.0.1", port=args.port))
    announce(server.sockets[0].getsockname()[1], "aiosmtpd")
    loop.run_forever()


def run_smtpd(args, recorder: Recorder) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import asyncore
        import smtpd

    if args.auth is not None:
        sys.exit("smtp_sink: --auth needs aiosmtpd (pip install aiosmtpd)")
    # SMTPChannel asks socket.getfqdn() for every connection, which can stall on a machine
    # with slow DNS; the sink's name does not matter.
    socket.getfqdn = lambda *_a: SINK_HOSTNAME

    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            # smtpd drops the CRLF in front of the final ".", which belongs to the message
            # (RFC 5321 4.1.1.4); put it back so both backends record the same data.
            data = data + b"\n" if data else data
            return recorder.record(mailfrom, rcpttos, data, kwargs.get("mail_options"), None)

    server = Sink(("127.0.0.1", args.port), None, decode_data=False)
    announce(server.socket.getsockname()[1], "smtpd")
    asyncore.loop(timeout=0.2)


def pick_backend(wanted: str) -> str:
    if wanted in ("aiosmtpd", "smtpd"):
        return wanted
    try:
        import aiosmtpd.smtp  # noqa: F401
        return "aiosmtpd"
    except ImportError:
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import asyncore  # noqa: F401
            import smtpd  # noqa: F401
            return "smtpd"
        except ImportError:
            sys.exit("smtp_sink: neither aiosmtpd nor the stdlib smtpd module is available "
                     "(Python >= 3.12 removed smtpd): pip install aiosmtpd")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("outfile")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    parser.add_argument("--auth", metavar="USER:PASS")
    args = parser.parse_args()

    backend = pick_backend(os.environ.get("SMTP_SINK_BACKEND", "auto"))
    if args.exit_on_stdin_eof:
        def watch_stdin():
            sys.stdin.buffer.read()
            os._exit(0)
        threading.Thread(target=watch_stdin, daemon=True).start()

    recorder = Recorder(args.outfile, backend)
    if backend == "aiosmtpd":
        run_aiosmtpd(args, recorder)
    else:
        run_smtpd(args, recorder)


if __name__ == "__main__":
    main()
