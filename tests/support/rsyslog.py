"""Debian's rsyslogd, started by a test on private ports and sockets, writing every message it receives as a
JSON line that keeps each field rsyslog parsed and the raw message (its framing removed).

Inputs: UDP and TCP on 127.0.0.1, TCP with TLS (GnuTLS, a certificate of the test's CA), a unix datagram
socket (imuxsock) and a unix stream socket (imptcp). Stopped (and the files removed) by stop().
"""

import json
import os
import signal
import socket
import ssl
import subprocess
from pathlib import Path

from tests.support.tlsca import TestCA
from tests.support.waiting import wait_for

FIELDS = (
    ("pri", "pri"),
    ("facility", "syslogfacility-text"),
    ("severity", "syslogseverity-text"),
    ("timereported", "timereported:::date-rfc3339"),
    ("hostname", "hostname"),
    ("appname", "app-name"),
    ("procid", "procid"),
    ("msgid", "msgid"),
    ("structured_data", "structured-data"),
    ("syslogtag", "syslogtag"),
    ("msg", "msg"),
    ("raw", "rawmsg"),
    ("input", "inputname"),
)


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Rsyslog:
    def __init__(self, directory: Path, ca: TestCA) -> None:
        self.directory = directory
        self.ca = ca
        self.udp_port, self.tcp_port, self.tls_port = free_port(socket.SOCK_DGRAM), free_port(), free_port()
        self.dgram_socket = directory / "dgram.sock"
        self.stream_socket = directory / "stream.sock"
        self.output = directory / "messages.json"
        self.process: subprocess.Popen | None = None
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "work").mkdir(exist_ok=True)
        self.config = directory / "rsyslog.conf"
        self.config.write_text(self._config())

    def _config(self) -> str:
        props = "\n".join(
            f'  property(outname="{out}" name="{name.split(":")[0]}" format="jsonf"'
            + (' dateFormat="rfc3339"' if name.endswith("date-rfc3339") else "")
            + ")"
            for out, name in FIELDS
        )
        d = self.directory
        return f"""
global(workDirectory="{d / "work"}" maxMessageSize="64k"
       defaultNetstreamDriverCAFile="{self.ca.ca_cert}"
       defaultNetstreamDriverCertFile="{self.ca.server_cert}"
       defaultNetstreamDriverKeyFile="{self.ca.server_key}")
module(load="imudp")
module(load="imtcp" maxSessions="100")
module(load="imptcp")
module(load="imuxsock" sysSock.use="off")
template(name="every_field" type="list" option.jsonf="on") {{
{props}
}}
ruleset(name="keep") {{
  action(type="omfile" file="{self.output}" template="every_field" flushOnTXEnd="on" asyncWriting="off")
}}
input(type="imudp" address="127.0.0.1" port="{self.udp_port}" ruleset="keep")
input(type="imtcp" address="127.0.0.1" port="{self.tcp_port}" ruleset="keep" name="tcp")
input(type="imtcp" address="127.0.0.1" port="{self.tls_port}" ruleset="keep" name="tls"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imuxsock" socket="{self.dgram_socket}" ruleset="keep" useSpecialParser="off" parseHostname="on"
      ignoreTimestamp="off" useSysTimeStamp="off")
input(type="imptcp" path="{self.stream_socket}" unlink="on" ruleset="keep" name="unix")
"""

    def start(self) -> None:
        log = open(self.directory / "rsyslogd.log", "ab")
        self.process = subprocess.Popen(
            ["rsyslogd", "-n", "-f", str(self.config), "-i", str(self.directory / "rsyslogd.pid")],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        try:
            wait_for(self._listening, 20, what="rsyslogd's inputs")
        except BaseException:
            self.stop()  # started but not listening: it must not outlive the test
            raise

    def _listening(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"rsyslogd exited {self.process.returncode}: {self.log_tail()}")
        if not (self.dgram_socket.exists() and self.stream_socket.exists()):
            return False
        try:
            socket.create_connection(("127.0.0.1", self.tcp_port), timeout=1).close()
            context = ssl.create_default_context(cafile=str(self.ca.ca_cert))
            with socket.create_connection(("127.0.0.1", self.tls_port), timeout=1) as raw:
                context.wrap_socket(raw, server_hostname="127.0.0.1").close()
        except OSError:
            return False
        return True

    def log_tail(self) -> str:
        path = self.directory / "rsyslogd.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def messages(self) -> list[dict]:
        if not self.output.exists():
            return []
        lines = self.output.read_bytes().splitlines()
        return [json.loads(line) for line in lines if line.endswith(b"}")]

    def stop(self, signum: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        for leftover in (self.stream_socket, self.dgram_socket):
            if leftover.exists():
                os.unlink(leftover)
