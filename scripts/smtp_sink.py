#!/usr/bin/env python3
"""A loopback SMTP server for costwise's e-mail tests (tests/email_send.rs).

Runs aiosmtpd (PyPI: aiosmtpd; scripts/test installs it) on 127.0.0.1 and
writes every message it accepts to OUT_DIR as <n>.eml (the raw bytes, as
received) plus <n>.json (the SMTP envelope: MAIL FROM, RCPT TO, AUTH login).
Both files are written atomically (temp + rename), the .json last, so a
reader that sees <n>.json can read <n>.eml.

With --user, AUTH PLAIN/LOGIN is required (over plain SMTP: this is a test
server on loopback) and the password is taken from the environment variable
named by --password-env, so it never appears on a command line.

Prints the port it listens on (useful with --port 0) as the first line of
stdout once it accepts connections, then serves until killed.
"""

import argparse
import asyncio
import json
import logging
import os
import sys
import warnings

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError:
    sys.exit("smtp_sink.py: the Python package aiosmtpd is missing (python3 -m pip install aiosmtpd)")


class Sink:
    """Writes each message to the output directory."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0

    def _write(self, name, data):
        tmp = os.path.join(self.out_dir, f".{name}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(self.out_dir, name))

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos, "login": session.auth_data}
        self._write(f"{self.count}.eml", envelope.original_content)
        self._write(f"{self.count}.json", json.dumps(meta).encode())
        return "250 OK: message accepted"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, auth_data=user if ok else None)

    return check


async def serve(args):
    os.makedirs(args.out_dir, exist_ok=True)
    handler = Sink(args.out_dir)
    auth = {}
    if args.user:
        # AUTH without TLS is the point here (loopback only); silence aiosmtpd's warning about it.
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        password = os.environ.get(args.password_env or "", "")
        if not password:
            sys.exit("smtp_sink.py: --user needs --password-env naming a set environment variable")
        auth = {
            "authenticator": authenticator(args.user, password),
            "auth_required": True,
            "auth_require_tls": False,
        }
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="smtp-sink.test", **auth), host="127.0.0.1", port=args.port
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--user", help="require AUTH with this user name")
    parser.add_argument("--password-env", help="environment variable holding the password for --user")
    parser.add_argument("out_dir", help="directory to write received messages to")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
