"""SSRF: every URL of the issue's table is refused with a 4xx problem and no connection is made.

The real service runs under uvicorn with a stub DNS. Loopback URLs point at a listener that
counts the connections it accepts (it must count none); the listener's port is an allowed port,
so a refusal is always for the address, never for the port. "Public" names resolve to an
address nothing is ever sent to: an egress guard blocks (and records) any connection this
process would make to a non-loopback address, so a bug could not reach the network either.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from tests.casekit import image_tree
from tests.rule_cases import materialize
from tests.test_api_support import (
    PUBLIC,
    CountingListener,
    EgressGuard,
    ServiceThread,
    is_problem,
    settings_for,
    wait_for,
)
from validator.testing.dataserver import DataServer, redirect


class Net:
    """The test network: listeners, an allowed data server, the DNS table, the service."""

    def __init__(self, tmp: Path) -> None:
        self.v4 = CountingListener()
        try:
            self.v6: CountingListener | None = CountingListener(socket.AF_INET6, "::1")
        except OSError:  # no IPv6 here
            self.v6 = None
        self.L4 = self.v4.port
        self.L6 = self.v6.port if self.v6 is not None else self.L4
        materialize(image_tree("0.5"), tmp / "data" / "image.zarr")
        self.data = DataServer(tmp / "data").start()
        self.P = self.data.port
        self.data.routes["to-loopback/zarr.json"] = redirect(
            f"http://127.0.0.1:{self.L4}/zarr.json")
        self.data.routes["to-file/zarr.json"] = redirect("file:///etc/passwd")
        self.data.routes["to-metadata/zarr.json"] = redirect(
            "http://169.254.169.254/latest/meta-data/")
        self.data.routes["to-private-name/zarr.json"] = redirect(
            f"http://private.test:{self.L4}/zarr.json")
        self.data.routes["image.zarr/0/zarr.json"] = redirect(
            f"http://127.0.0.1:{self.L4}/0/zarr.json")
        self.lookups: list[str] = []
        self.dns: dict[str, Sequence[Sequence[str]]] = {
            "localhost": [["127.0.0.1"]],
            "private.test": [["10.0.0.1"]],
            "mixed.test": [[PUBLIC, "10.0.0.1"]],
            "rebind.test": [[PUBLIC, "127.0.0.1"]],
            "public.test": [[PUBLIC]],
            # Public when the service vets the URL, loopback when it connects (DNS rebinding).
            "rebinding-later.test": [[PUBLIC], ["127.0.0.1"]],
        }
        self.served: dict[str, int] = {}
        settings = settings_for(
            tmp, allowed_hosts=[f"127.0.0.1:{self.P}"],
            allowed_ports=sorted({80, 443, 8080, 8443, self.L4, self.L6}),
        )
        self.service = ServiceThread.create(settings, resolve=self.resolve).start()

    async def resolve(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        answers = self.dns.get(host)
        if answers is None:
            raise OSError(-2, "Name or service not known")
        n = self.served.get(host, 0)
        self.served[host] = n + 1
        return list(answers[min(n, len(answers) - 1)])

    @property
    def accepted(self) -> int:
        return self.v4.accepted + (self.v6.accepted if self.v6 is not None else 0)

    def close(self) -> None:
        self.service.stop()
        self.data.stop()
        self.v4.close()
        if self.v6 is not None:
            self.v6.close()


@pytest.fixture(scope="module")
def guard() -> Iterator[EgressGuard]:
    with EgressGuard() as g:
        yield g


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory, guard: EgressGuard) -> Iterator[Net]:
    n = Net(tmp_path_factory.mktemp("ssrf"))
    yield n
    n.close()


@pytest.fixture
def client(net: Net, guard: EgressGuard) -> Iterator[httpx.Client]:
    with net.service.client() as c:
        yield c
    assert net.accepted == 0, "a refused URL was connected to"
    assert guard.blocked == [], f"connections to non-loopback addresses: {guard.blocked}"


#: What the service says of a name that resolves to a refused address and of one that does
#: not resolve at all: the same, so that a submitter cannot probe internal names.
UNIFORM = "does not resolve to an address this service may fetch from"

# (url template, a part of the expected reason). {L4}/{L6}: the counting listeners' ports,
# {P}: the allowed data server's port.
TABLE: list[tuple[str, str]] = [
    ("file:///etc/passwd", "scheme file: is not allowed"),
    ("gopher://127.0.0.1:{L4}/_GET", "scheme gopher: is not allowed"),
    ("ftp://127.0.0.1:{L4}/data.zarr", "scheme ftp: is not allowed"),
    ("data:application/json,{{}}", "scheme data: is not allowed"),
    ("memory://data.zarr", "scheme memory: is not allowed"),
    ("/etc/passwd", "scheme (none) is not allowed"),
    ("http://127.0.0.1:{L4}/", "loopback"),
    ("http://localhost:{L4}/", "local host"),
    ("http://LocalHost.:{L4}/", "local host"),
    ("http://[::1]:{L6}/", "loopback"),
    ("http://0.0.0.0:{L4}/", "unspecified"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://2130706433:{L4}/", "non-canonical form of the address 127.0.0.1"),
    ("http://0177.0.0.1:{L4}/", "non-canonical form of the address 127.0.0.1"),
    ("http://0x7f.1:{L4}/", "non-canonical form of the address 127.0.0.1"),
    ("http://127.1:{L4}/", "non-canonical form of the address 127.0.0.1"),
    ("http://[::ffff:127.0.0.1]:{L4}/", "IPv4-mapped form of 127.0.0.1"),
    ("http://[::ffff:a9fe:a9fe]/", "IPv4-mapped form of 169.254.169.254"),
    ("http://[64:ff9b::a00:1]/", "NAT64 form of 10.0.0.1"),
    ("http://[2002:7f00:1::]:{L4}/", "6to4 form of 127.0.0.1"),
    ("http://[fe80::1%25lo]:{L4}/", "zone"),
    ("http://private.test/", UNIFORM),
    ("http://mixed.test/", UNIFORM),
    ("http://rebind.test:{L4}/", UNIFORM),
    ("http://127.0.0.1:{P}/to-loopback", "127.0.0.1 is a loopback address"),
    ("http://127.0.0.1:{P}/to-file", "scheme file: is not allowed"),
    ("http://127.0.0.1:{P}/to-metadata", "link-local"),
    ("http://127.0.0.1:{P}/to-private-name", UNIFORM),
    ("http://user@public.test/", "user info"),
    ("http://user:secret@public.test/", "user info"),
    ("http://public.test@127.0.0.1:{L4}/", "user info"),
    ("http://public.test:22/", "port 22 is not allowed"),
    (f"http://{PUBLIC}:22/", "port 22 is not allowed"),
    ("http://127.0.0.1:{L4}\\@public.test/", "backslash"),
    ("http://%31%32%37.0.0.1:{L4}/", "not a valid host name"),
    ("http://127\u30020\u30020\u30021:{L4}/", "ASCII"),
    ("s3://127.0.0.1/bucket", "must not look like addresses"),
    ("s3://user@bucket/key", "user info"),
]


@pytest.mark.parametrize(("template", "reason"), TABLE, ids=[t for t, _ in TABLE])
@pytest.mark.parametrize("path", ["/v1/validate", "/v1/jobs"])
def test_refused_with_a_problem_and_no_connection(
    template: str, reason: str, path: str, net: Net, client: httpx.Client
) -> None:
    url = template.format(L4=net.L4, L6=net.L6, P=net.P)
    response = client.post(path, json={"url": url})
    if path == "/v1/jobs" and "{P}" in template:
        # The URL itself is fine (an allowed host): the job is accepted, and fails at the
        # redirect, which is never followed.
        assert response.status_code == 202, response.text
        job = wait_for(client, response.json()["id"])
        assert job["status"] == "failed" and job["error_type"] == "could-not-validate", job
        assert reason in job["error"], job
        return
    problem = is_problem(response)
    assert 400 <= response.status_code < 500, problem
    assert reason in problem["detail"], problem
    assert problem["type"] in ("/problems/url-refused", "/problems/could-not-validate")
    if "{P}" in template:
        # The allowed host was asked; the refused hop was not (the fixture checks).
        assert problem["type"] == "/problems/could-not-validate"


def test_private_and_unresolvable_names_are_refused_alike(
    net: Net, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 14, reproduction 9: "resolves to 127.0.0.1" vs "cannot resolve" told a submitter
    which internal names exist. Both now get one message; the detail goes to the log."""
    details = []
    with caplog.at_level("WARNING", logger="validator.netsafe"):
        for host in ("private.test", "no-such-name.test"):
            response = client.post("/v1/validate", json={"url": f"http://{host}/x.zarr"})
            problem = is_problem(response, 422)
            assert problem["type"] == "/problems/url-refused", problem
            details.append(problem["detail"].replace(host, "HOST"))
    assert details[0] == details[1], details
    assert "10.0.0.1" not in details[0]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "resolves to 10.0.0.1" in logged and "cannot resolve no-such-name.test" in logged


def test_dns_rebinding_between_vetting_and_connecting(net: Net, client: httpx.Client) -> None:
    """The pre-flight lookup says public, the connection-time lookup says loopback: the
    lookup the HTTP client connects through vets its own answer, so nothing is connected to."""
    url = f"http://rebinding-later.test:{net.L4}/data.zarr"
    response = client.post("/v1/validate", json={"url": url})
    problem = is_problem(response, 422)
    assert UNIFORM in problem["detail"], problem
    assert net.served["rebinding-later.test"] >= 2  # vetted, then resolved again to connect


def test_a_refused_hop_inside_a_dataset_is_a_finding(net: Net, client: httpx.Client) -> None:
    response = client.post("/v1/validate", json={"url": f"http://127.0.0.1:{net.P}/image.zarr"})
    assert response.status_code == 200, response.text
    refused = [f for f in response.json()["findings"] if f["rule"] == "io.url.refused"]
    assert refused and refused[0]["node"] == "0", response.json()["findings"]
    assert "loopback" in refused[0]["message"]


def test_allowed_host_is_served(net: Net, client: httpx.Client) -> None:
    before = net.data.stats.requests
    response = client.post("/v1/validate", json={"url": f"http://127.0.0.1:{net.P}/to-file"})
    assert is_problem(response, 422)
    assert net.data.stats.requests > before


def test_no_real_dns_was_asked(net: Net) -> None:
    # no-such-name.test is asked on purpose (test_private_and_unresolvable_names_are_refused_alike)
    assert set(net.lookups) <= {*net.dns, "no-such-name.test"}, net.lookups
