"""validator.netsafe: the SSRF policy on its own, and wired into the HTTP client through HttpStore.

No test here asks a real DNS server or connects anywhere but loopback: names are answered by
stub resolvers, and an egress guard blocks (and records) any other connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.casekit import image_tree
from tests.rule_cases import materialize
from tests.test_api_support import PUBLIC, CountingListener, EgressGuard
from validator import CouldNotValidate, avalidate
from validator.errors import FetchError, FetchRefused
from validator.netsafe import (
    AllowRule,
    Resolve,
    SafeNetworkPolicy,
    address_problem,
    parse_allow_rule,
    parse_numeric_ipv4,
)
from validator.options import Options
from validator.stores import HttpStore, open_store
from validator.testing.dataserver import DataServer, redirect


def resolver_for(table: dict[str, Sequence[str]]) -> Resolve:
    async def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return list(table[host])
        raise OSError(-2, "Name or service not known")

    return resolve


DNS: dict[str, Sequence[str]] = {
    "public.test": [PUBLIC],
    "public6.test": ["2606:4700::1111"],
    "private.test": ["10.0.0.1"],
    "mixed.test": [PUBLIC, "10.0.0.1"],
    "rebind.test": [PUBLIC, "127.0.0.1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "metadata.test": ["169.254.169.254"],
    "garbage.test": ["not-an-address"],
    "s3.amazonaws.com": ["52.216.0.1"],
    "storage.googleapis.com": ["142.250.0.1"],
}


@pytest.fixture
def policy() -> SafeNetworkPolicy:
    return SafeNetworkPolicy(resolve=resolver_for(DNS))


@pytest.fixture(scope="module", autouse=True)
def guard() -> Iterator[EgressGuard]:
    with EgressGuard() as g:
        yield g
    assert g.blocked == []


# -- numbers and addresses ------------------------------------------------------------------


@pytest.mark.parametrize(("host", "address"), [
    ("127.0.0.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("017700000001", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("127.0.1", "127.0.0.1"),
    ("0", "0.0.0.0"),
    ("0x", "0.0.0.0"),
    ("10.0x10.1", "10.16.0.1"),
    ("169.254.43518", "169.254.169.254"),
    ("4294967295", "255.255.255.255"),
])
def test_numeric_hosts_mean_what_inet_aton_makes_of_them(host: str, address: str) -> None:
    assert parse_numeric_ipv4(host) == ipaddress.IPv4Address(address)
    try:
        expected = socket.inet_aton(host)
    except OSError:
        return
    assert ipaddress.IPv4Address(expected) == ipaddress.IPv4Address(address)


@pytest.mark.parametrize("host", ["example.org", "4294967296", "1.2.3.4.5", "08.1", "1.256.1.1",
                                  "a.1", "0x1g", "", "1..1", "256.1.1.1"])
def test_not_numeric(host: str) -> None:
    assert parse_numeric_ipv4(host) is None


@pytest.mark.parametrize(("address", "why"), [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "private"),  # "this network"
    ("10.1.2.3", "private"),
    ("172.31.255.255", "private"),
    ("192.168.0.1", "private"),
    ("169.254.169.254", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "private"),  # reserved, and listed private
    ("255.255.255.255", "private"),  # broadcast
    ("192.0.2.1", "private"),
    ("198.18.0.1", "private"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("fec0::1", "site-local"),
    ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1"),
    ("::ffff:10.0.0.1", "IPv4-mapped form of 10.0.0.1"),
    ("::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254"),
    ("::127.0.0.1", "IPv4-compatible form of 127.0.0.1"),
    ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254"),
    ("64:ff9b:1::a00:1", "local-use NAT64 form of 10.0.0.1"),
    ("2002:7f00:1::1", "6to4 form of 127.0.0.1"),
    ("2002:a00:1::", "6to4 form of 10.0.0.1"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo form of 127.0.0.1"),
    ("2001:db8::1", "private"),
])
def test_refused_addresses(address: str, why: str) -> None:
    problem = address_problem(ipaddress.ip_address(address))
    assert problem is not None and why in problem, problem


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "1.1.1.1", "2606:4700::1111",
                                     "2a00:1450:4001::1", "::ffff:93.184.216.34",
                                     "64:ff9b::5db8:d822", "2002:5db8:d822::1"])
def test_public_addresses(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


# -- URLs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "why"), [
    ("file:///etc/passwd", "scheme file:"),
    ("FILE:///etc/passwd", "scheme file:"),
    ("memory://x.zarr", "scheme memory:"),
    ("gopher://public.test/", "scheme gopher:"),
    ("ftp://public.test/", "scheme ftp:"),
    ("data:,{}", "scheme data:"),
    ("javascript:alert(1)", "scheme javascript:"),
    ("/etc/passwd", "scheme (none)"),
    ("relative/path.zarr", "scheme (none)"),
    ("http:public.test/x", "scheme http:"),
    ("http://user@public.test/", "user info"),
    ("http://user:pw@public.test/", "user info"),
    ("http://@public.test/", "user info"),
    ("http://public.test:22/", "port 22"),
    ("http://public.test:0/", "bad port 0"),
    ("http://public.test:65536/", "bad port 65536"),
    ("http://public.test:+80/", "bad port"),
    ("http://public.test:8o/", "bad port"),
    ("http://127.0.0.1/", "loopback"),
    ("http://127.0.0.1:8080/", "loopback"),
    ("http://127.0.0.1./", "loopback"),
    ("http://localhost/", "local host"),
    ("http://a.b.localhost/", "local host"),
    ("http://[::1]/", "loopback"),
    ("http://[::]/", "unspecified"),
    ("http://[::ffff:7f00:1]/", "IPv4-mapped"),
    ("http://[fe80::1%25eth0]/", "zone"),
    ("http://[::1/", "not a valid URL"),
    ("http://[not-v6]/", "not a valid URL"),
    ("http://0/", "non-canonical"),
    ("http://2130706433/", "non-canonical"),
    ("http://0x7f.1/", "non-canonical"),
    ("http://127.000.000.001/", "non-canonical"),
    ("http://1.2.3.4.5/", "not a valid address"),
    ("http://%31%32%37.0.0.1/", "not a valid host name"),
    ("http://ex ample.org/", "whitespace"),
    ("http://example.org/\nX: y", "control"),
    ("http://example.org\\@127.0.0.1/", "backslash"),
    ("http://exämple.org/", "ASCII"),
    ("http:///path", "no host"),
    ("http://-bad-.example/", "not a valid host name"),
    ("http://a..b/", "not a valid host name"),
    ("s3://127.0.0.1/key", "must not look like addresses"),
    ("s3://ab/key", "not a valid bucket name"),
    ("s3://Bucket/key", "not a valid bucket name"),
    ("s3://bucket:443/key", "not a valid bucket name"),
    ("gs://a..b/key", "not a valid bucket name"),
])
def test_check_url_refuses(policy: SafeNetworkPolicy, url: str, why: str) -> None:
    with pytest.raises(FetchRefused) as info:
        policy.check_url(url)
    assert why in str(info.value)


@pytest.mark.parametrize("url", [
    "http://public.test/data.zarr", "https://public.test/data.zarr",
    "HTTPS://PUBLIC.TEST:443/a%20b.zarr?x=1#y", "http://public.test:8080/", "https://public.test:8443/",
    f"http://{PUBLIC}/image.zarr", "http://[2606:4700::1111]/x", "http://public.test./x",
    "s3://bucket/path/image.zarr", "s3://my.bucket-1/x", "gs://bucket_name/x",
])
def test_check_url_allows(policy: SafeNetworkPolicy, url: str) -> None:
    policy.check_url(url)


@pytest.mark.parametrize(("url", "why"), [
    ("http://private.test/", "resolves to 10.0.0.1"),
    ("http://mixed.test/", "resolves to 10.0.0.1"),
    ("http://rebind.test/", "resolves to 127.0.0.1"),
    ("http://mapped.test/", "IPv4-mapped form of 127.0.0.1"),
    ("http://metadata.test/", "link-local"),
    ("http://garbage.test/", "not an address"),
])
async def test_vet_refuses_names_with_any_bad_address(policy: SafeNetworkPolicy, url: str,
                                                      why: str) -> None:
    with pytest.raises(FetchRefused) as info:
        await policy.vet(url)
    assert why in str(info.value)


async def test_vet_resolves_public_names(policy: SafeNetworkPolicy) -> None:
    await policy.vet("https://public.test/x.zarr")
    await policy.vet("https://public6.test/x.zarr")
    await policy.vet("s3://bucket/x.zarr")  # the AWS endpoint is looked up and vetted
    await policy.vet("gs://bucket/x.zarr")


async def test_unresolvable_and_slow_dns_are_fetch_errors() -> None:
    policy = SafeNetworkPolicy(resolve=resolver_for({}))
    with pytest.raises(FetchError, match=r"cannot resolve nowhere\.test") as info:
        await policy.vet("http://nowhere.test/")
    assert not isinstance(info.value, FetchRefused)

    async def slow(host: str, port: int) -> list[str]:
        await asyncio.sleep(10)
        return [PUBLIC]

    with pytest.raises(FetchError, match="timed out"):
        await SafeNetworkPolicy(resolve=slow, dns_timeout=0.05).vet("http://public.test/")


def test_s3_and_gs_endpoints_are_vetted() -> None:
    private = SafeNetworkPolicy(s3_endpoint="http://10.0.0.5:9000",
                                gcs_endpoint="http://169.254.169.254")
    with pytest.raises(FetchRefused, match="s3 endpoint is refused"):
        private.check_url("s3://bucket/x")
    with pytest.raises(FetchRefused, match="gs endpoint is refused"):
        private.check_url("gs://bucket/x")
    allowed = SafeNetworkPolicy(s3_endpoint="http://10.0.0.5:9000",
                                allowed_hosts=["10.0.0.5:9000"])
    allowed.check_url("s3://bucket/x")
    assert allowed.endpoint("s3://bucket/x") == "http://10.0.0.5:9000"
    assert allowed.endpoint("gs://bucket/x") == "https://storage.googleapis.com"
    assert allowed.endpoint("https://public.test/") is None


def test_schemes_can_be_narrowed_not_widened() -> None:
    https_only = SafeNetworkPolicy(schemes={"https"})
    https_only.check_url("https://public.test/")
    with pytest.raises(FetchRefused, match="scheme http:"):
        https_only.check_url("http://public.test/")
    with pytest.raises(ValueError, match="file"):
        SafeNetworkPolicy(schemes={"http", "file"})


# -- allowed hosts -----------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "rule"), [
    ("127.0.0.1", AllowRule(network=ipaddress.ip_network("127.0.0.1/32"))),
    ("127.0.0.1:9000", AllowRule(network=ipaddress.ip_network("127.0.0.1/32"), port=9000)),
    ("10.0.0.0/8", AllowRule(network=ipaddress.ip_network("10.0.0.0/8"))),
    ("[::1]", AllowRule(network=ipaddress.ip_network("::1/128"))),
    ("[::1]:8000", AllowRule(network=ipaddress.ip_network("::1/128"), port=8000)),
    ("fd00::/8", AllowRule(network=ipaddress.ip_network("fd00::/8"))),
    ("MinIO.Internal", AllowRule(name="minio.internal")),
    ("minio.internal:9000", AllowRule(name="minio.internal", port=9000)),
])
def test_allow_rules_parse(entry: str, rule: AllowRule) -> None:
    assert parse_allow_rule(entry) == rule
    assert parse_allow_rule(str(rule)) == rule


@pytest.mark.parametrize("entry", ["", "http://x/", "x:y", "x:0", "x:70000", "[::1", "127.1",
                                   "a b", "user@host", "1.2.3.4/33"])
def test_bad_allow_rules(entry: str) -> None:
    with pytest.raises(ValueError):
        parse_allow_rule(entry)


async def test_allowed_hosts_open_exactly_what_they_name() -> None:
    policy = SafeNetworkPolicy(
        allowed_hosts=["127.0.0.1:9000", "10.1.0.0/16", "minio.internal:9000", "[::1]"],
        resolve=resolver_for({"minio.internal": ["10.9.9.9"], "db.test": ["10.1.2.3"],
                              "other.test": ["10.2.0.1"]}),
    )
    policy.check_url("http://127.0.0.1:9000/x")
    with pytest.raises(FetchRefused, match="loopback"):
        policy.check_url("http://127.0.0.1:9001/x")
    policy.check_url("http://10.1.200.3:1234/x")  # a network rule without port: every port
    with pytest.raises(FetchRefused, match="private"):
        policy.check_url("http://10.2.0.1/x")
    policy.check_url("http://[::1]:5000/x")
    await policy.vet("http://minio.internal:9000/bucket")  # a trusted name: not vetted
    with pytest.raises(FetchRefused, match=r"10\.9\.9\.9 is a private address"):
        await policy.vet("http://minio.internal:9001/bucket")  # not trusted on that port
    await policy.vet("http://db.test:5432/x")  # resolves into an allowed network
    with pytest.raises(FetchRefused, match=r"10\.2\.0\.1"):
        await policy.vet("http://other.test/x")


def test_policy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OME_ZARR_VALIDATOR_ALLOWED_HOSTS", "127.0.0.1:9000, minio.internal")
    monkeypatch.setenv("OME_ZARR_VALIDATOR_ALLOWED_PORTS", "443")
    policy = SafeNetworkPolicy.from_env()
    assert [str(r) for r in policy.rules] == ["127.0.0.1/32:9000", "minio.internal"]
    assert policy.allowed_ports == {443}


# -- wired into the HTTP client through HttpStore ------------------------------------------


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    counting = CountingListener()
    yield counting
    counting.close()


@pytest.fixture
def data(tmp_path: Path) -> Iterator[DataServer]:
    materialize(image_tree("0.5"), tmp_path / "data" / "image.zarr")
    with DataServer(tmp_path / "data") as server:
        yield server


async def test_the_resolver_connects_to_the_vetted_address(data: DataServer) -> None:
    """``data.test`` exists only in the stub: the fetch works only if the client connects to the
    address our resolver returned."""
    policy = SafeNetworkPolicy(allowed_hosts=[f"data.test:{data.port}"],
                               resolve=resolver_for({"data.test": ["127.0.0.1"]}))
    store = HttpStore(f"http://data.test:{data.port}/image.zarr", Options(retries=0),
                      policy=policy)
    try:
        assert (await store.get("zarr.json")) is not None
    finally:
        await store.close()
    report = await avalidate(f"http://data.test:{data.port}/image.zarr", policy=policy)
    assert report.valid and report.stats.documents == 3


@pytest.mark.parametrize("answers", [["127.0.0.1"], [PUBLIC, "127.0.0.1"],
                                     ["::ffff:127.0.0.1"]])
async def test_the_resolver_refuses_before_connecting(listener: CountingListener,
                                                      answers: list[str]) -> None:
    policy = SafeNetworkPolicy(allowed_ports=[80, listener.port],
                               resolve=resolver_for({"evil.test": answers}))
    url = f"http://evil.test:{listener.port}/x.zarr"
    policy.check_url(url)  # the name itself is fine: only its addresses are not
    store = HttpStore(url, Options(retries=0), policy=policy)
    try:
        with pytest.raises(FetchRefused, match=r"127\.0\.0\.1"):
            await store.get("zarr.json")
    finally:
        await store.close()
    assert listener.accepted == 0


async def test_rebinding_after_vetting_is_caught(listener: CountingListener) -> None:
    answers = iter([[PUBLIC], ["127.0.0.1"]])

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    policy = SafeNetworkPolicy(allowed_ports=[listener.port], resolve=rebinding)
    url = f"http://rebind.test:{listener.port}/x.zarr"
    await policy.vet(url)  # first answer: public
    with pytest.raises(CouldNotValidate, match=r"resolves to 127\.0\.0\.1"):
        await avalidate(url, policy=policy, retries=0)
    assert listener.accepted == 0


async def test_redirect_hops_are_checked(data: DataServer, listener: CountingListener) -> None:
    data.routes["to-loopback/zarr.json"] = redirect(f"http://127.0.0.1:{listener.port}/x")
    data.routes["to-file/zarr.json"] = redirect("file:///etc/passwd")
    data.routes["to-name/zarr.json"] = redirect(f"http://evil.test:{listener.port}/x")
    data.routes["relative/zarr.json"] = redirect("/image.zarr/zarr.json")
    policy = SafeNetworkPolicy(allowed_hosts=[f"127.0.0.1:{data.port}"],
                               allowed_ports=[listener.port],
                               resolve=resolver_for({"evil.test": ["127.0.0.1"]}))
    for path, why in (("to-loopback", "loopback"), ("to-file", "scheme file:"),
                      ("to-name", "resolves to 127.0.0.1")):
        store = HttpStore(data.url_for(path), Options(retries=0), policy=policy)
        try:
            with pytest.raises(FetchRefused, match=why):
                await store.get("zarr.json")
        finally:
            await store.close()
    store = HttpStore(data.url_for("relative"), Options(retries=0), policy=policy)
    try:
        assert await store.get("zarr.json") is not None  # a hop on the allowed host: fine
    finally:
        await store.close()
    assert listener.accepted == 0


def test_open_store_refuses_local_targets() -> None:
    policy = SafeNetworkPolicy()
    for target in ("/etc", "file:///etc", "memory://x", "relative/dir"):
        with pytest.raises(CouldNotValidate, match="scheme"):
            open_store(target, Options(), policy)


async def test_family_filter(policy: SafeNetworkPolicy) -> None:
    resolver = policy.resolver()
    v4 = await resolver.resolve("public.test", 80, socket.AF_INET)
    assert [r["host"] for r in v4] == [PUBLIC]
    assert v4[0]["flags"] & socket.AI_NUMERICHOST
    with pytest.raises(OSError):
        await resolver.resolve("public.test", 80, socket.AF_INET6)
    both = await resolver.resolve("public6.test", 443, socket.AF_UNSPEC)
    assert both[0]["family"] == socket.AF_INET6
    await resolver.close()
