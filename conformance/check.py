#!/usr/bin/env python3
"""Check fleetsim fixtures against real OpenStack tooling.

Usage: check.py [--report FILE] FIXTURES_DIR [FIXTURES_DIR ...]

Each FIXTURES_DIR is what `fleetsim fixtures` writes (servers.jsonl,
requests.jsonl, timelines.jsonl, fixtures.json). Every server object (a
servers.jsonl line, every view of a timelines.jsonl line) is

- shown through tempest's compute ServersClient at the microversion the
  fixtures state (fixtures.json `microversion`): `show_server` for a
  server a GET shows, `list_servers(detail=True)` for a deleted one, which
  only a `changes-since` listing shows; tempest picks the response schema
  for the microversion and validates it exactly as it does against a real
  Nova;
- loaded by openstacksdk as `Server.existing(**server)`;
- expanded by openstacksdk's cloud layer the way `conn.get_server()` /
  `conn.list_servers()` do (`openstack.cloud.meta.add_server_interfaces`)
  and `conn.get_server(detailed=True)` does
  (`openstack.cloud.meta.get_hostvars_from_server`), with a stand-in cloud
  that has no network, image or volume service.

Every requests.jsonl entry is replayed through the ServersClient method
tempest uses for its action, at the fixtures' microversion, so tempest
checks the status code and body of every success response it declares a
schema for. Timeline views that answer 404 (a deleted server) are error
responses, which tempest does not validate.

Nothing is sent anywhere: the client's HTTP object is replaced by one that
returns the fixture's response. Exit status: 0 if every check passed, 1 if
any failed, 2 if the fixtures cannot be read.
"""

import argparse
import collections
import hashlib
import ipaddress
import json
import logging
import multiprocessing
import os
import sys
import traceback
from importlib import metadata
from pathlib import Path

from openstack.cloud import meta
from openstack.compute.v2.server import Server
from tempest.lib import exceptions as tempest_exceptions
from tempest.lib.common import rest_client
from tempest.lib.services.compute import base_compute_client
from tempest.lib.services.compute import servers_client
from tempest.lib.services.compute.servers_client import ServersClient

SAMPLE_MICROVERSIONS = ("2.1", "2.100")
TOP_REASONS = 5
SAMPLES = Path(__file__).parent / "samples"  # server-<microversion>.json, Nova-shaped

# fixture action -> the ServersClient call tempest makes for it
# (client, server id, the action's request body)
ACTIONS = {
    "create": lambda c, sid, b: c.create_server(**b["server"]),
    "DELETE": lambda c, sid, b: c.delete_server(sid),
    "reboot": lambda c, sid, b: c.reboot_server(sid, **b["reboot"]),
    "os-stop": lambda c, sid, b: c.stop_server(sid),
    "os-start": lambda c, sid, b: c.start_server(sid),
    "rebuild": lambda c, sid, b: c.rebuild_server(sid, b["rebuild"]["imageRef"]),
    "evacuate": lambda c, sid, b: evacuate(c, sid, b["evacuate"] or {}),
    "resize": lambda c, sid, b: c.resize_server(sid, b["resize"]["flavorRef"]),
    "confirmResize": lambda c, sid, b: c.confirm_resize_server(sid),
    "revertResize": lambda c, sid, b: c.revert_resize_server(sid),
    "os-migrateLive": lambda c, sid, b: c.live_migrate_server(sid, **b["os-migrateLive"]),
    "os-resetState": lambda c, sid, b: c.reset_state(sid, **b["os-resetState"]),
    "lock": lambda c, sid, b: c.lock_server(sid),
    "unlock": lambda c, sid, b: c.unlock_server(sid),
}


def evacuate(client, server_id, body):
    """tempest's evacuate_server, without its string comparison of microversions.

    ServersClient.evacuate_server picks the pre-2.14 schema (200 with
    adminPass) when `api_version < '2.14'` as strings, which is true for
    2.100 and later although Nova stops returning adminPass at 2.14. At such
    a microversion this takes tempest's own post-2.14 schema (the one
    evacuate_server takes otherwise, from the module servers_client imports)
    and makes the same call.
    """
    version = base_compute_client.COMPUTE_MICROVERSION
    if version and version < "2.14" and tuple(map(int, version.split("."))) >= (2, 14):
        return client.action(server_id, "evacuate", schema=servers_client.schema.evacuate_server, **body)
    return client.evacuate_server(server_id, **body)


class Replay:
    """Stands in for tempest's HTTP object: answers with the fixture's response."""

    def __init__(self):
        self.status, self.body = 200, None

    def request(self, url, method, **kwargs):
        resp = _Response()
        resp.status = self.status
        resp.update({"status": str(self.status), "content-type": "application/json"})
        # Nova echoes the requested microversion; the fixtures carry no headers.
        version = (kwargs.get("headers") or {}).get(ServersClient.api_microversion_header_name)
        if version:
            resp[ServersClient.api_microversion_header_name.lower()] = version
        body = b"" if self.body is None else json.dumps(self.body).encode()
        return resp, body


class _Response(dict):
    status = 200


class NoAuth:
    """tempest auth provider that leaves the request as it is."""

    def auth_request(self, method, url, headers=None, body=None, filters=None):
        return "http://nova.invalid/v2.1/" + url, headers, body


class Rejected(Exception):
    """A response tempest refuses, with every reason."""

    def __init__(self, reasons):
        super().__init__(reasons[0])
        self.reasons = reasons


def tempest_client():
    """A real ServersClient whose HTTP object replays fixtures.

    Its validate_response lists every reason tempest's validator finds (tempest
    raises only the first) and, once per kind of outcome, checks that tempest's
    own validate_response comes to the same verdict.
    """
    client = ServersClient(NoAuth(), "compute", "fleetsim")
    client.http_obj = Replay()
    tempest_validate = client.validate_response
    confirmed = set()

    def validate(schema, resp, body):
        reasons = response_errors(schema, resp, body)
        outcome = (id(schema), resp.status, tuple(sorted(set(reasons))))
        if outcome not in confirmed:
            try:
                tempest_validate(schema, resp, body)
                agrees = not reasons
            except TEMPEST_REFUSALS:
                agrees = bool(reasons)
            if not agrees:
                raise RuntimeError(f"this harness and tempest disagree on {body!r}: {reasons}")
            confirmed.add(outcome)
        if reasons:
            raise Rejected(reasons)

    client.validate_response = validate
    return client


TEMPEST_REFUSALS = (
    tempest_exceptions.InvalidHttpSuccessCode,
    tempest_exceptions.InvalidHTTPResponseBody,
    tempest_exceptions.InvalidHTTPResponseHeader,
)


def response_errors(schema, resp, body):
    """What rest_client.validate_response checks, with every reason rather than the first."""
    if resp.status not in rest_client.HTTP_SUCCESS + rest_client.HTTP_REDIRECTION:
        return []
    reasons = []
    try:
        rest_client.RestClient.expected_success(schema["status_code"], resp.status)
    except tempest_exceptions.InvalidHttpSuccessCode:
        reasons.append(f"status {resp.status}, tempest expects {schema['status_code']}")
    body_schema = schema.get("response_body")
    if body_schema:
        reasons += [describe(e) for e in validator(body_schema).iter_errors(body)]
    elif body:
        reasons.append("a body where tempest expects none")
    if schema.get("response_header"):
        reasons += [f"header {describe(e)}" for e in validator(schema["response_header"]).iter_errors(resp)]
    return reasons


_validators = {}


def validator(schema):
    """tempest's validator class and format checker for a schema, built once."""
    if id(schema) not in _validators:
        _validators[id(schema)] = rest_client.JSONSCHEMA_VALIDATOR(schema, format_checker=rest_client.FORMAT_CHECKER)
    return _validators[id(schema)]


def describe(error):
    """A validation error as a reason that lines share (values that vary are left out)."""
    where = ".".join("[]" if isinstance(p, int) else str(p) for p in error.absolute_path) or "body"
    kind = error.validator
    if kind == "required":
        missing = error.message.split(" is a required property")[0]
        return f"{where}: missing required property {missing}"
    if kind == "additionalProperties":
        return f"{where}: {error.message}"
    if kind == "format":
        return f"{where}: not a {error.validator_value!r} as tempest checks it"
    if kind == "type":
        return f"{where}: type {error.validator_value!r} (got {type(error.instance).__name__})"
    if kind == "enum":
        return f"{where}: not one of {error.validator_value!r} (got {error.instance!r})"[:200]
    return f"{where}: {kind} {error.validator_value!r}"[:200]


def first_line(exc):
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]


def call_tempest(client, version, status, body, call):
    """Run one tempest client call on a replayed response: (passed, reasons)."""
    base_compute_client.COMPUTE_MICROVERSION = None if version == "2.1" else version
    client.http_obj.status, client.http_obj.body = status, body
    try:
        call()
    except Rejected as rejected:
        return False, rejected.reasons
    return True, []


class StandInCloud:
    """The parts of an openstacksdk Connection that its server expansion reads.

    A cloud with default clouds.yaml options and no network, image or volume
    service, so the expansion works from the server record alone.
    """

    force_ipv4 = False
    private = False
    _local_ipv6 = False
    name = "fleetsim"

    def has_service(self, name):
        return False

    def _has_floating_ips(self):
        return False

    def use_external_network(self):
        return True

    def use_internal_network(self):
        return True

    def get_external_ipv4_networks(self):
        return []

    def get_internal_ipv4_networks(self):
        return []

    def get_default_network(self):
        return None

    def list_server_security_groups(self, server):
        return []

    def get_flavor_name(self, flavor_id):
        return None

    def get_image_name(self, image_id):
        return None


# Fields the Server resource and the cloud layer keep as opaque values (no
# type conversion in openstacksdk.compute.v2.server beyond list/dict, not
# parsed by openstack.cloud.meta): openstacksdk's outcome cannot depend on
# their text.
SDK_OPAQUE = (
    "id",
    "name",
    "created",
    "updated",
    "OS-SRV-USG:launched_at",
    "OS-SRV-USG:terminated_at",
    "fault",
    "hostId",
    "links",
    "OS-EXT-SRV-ATTR:hostname",
    "server_groups",
    "scheduler_hints",
)


def address_class(addr):
    """What openstack.cloud.meta reads of an address: whether it parses, its version, is_private."""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return addr
    return f"<IPv{ip.version} private={ip.is_private}>"


def sdk_key(server):
    """The server as openstacksdk sees it: servers with one key get one outcome.

    Opaque strings are blanked; each address is replaced by its class
    (openstack.cloud.meta parses addresses with ipaddress and reads only their
    version and is_private); MAC addresses, which it only compares with each
    other, by their order of first appearance in the server.
    """

    def blank(value):
        if isinstance(value, dict):
            return {k: blank(v) for k, v in value.items()}
        if isinstance(value, list):
            return [blank(v) for v in value]
        return "" if isinstance(value, str) else value

    macs = {}

    def port(interface):
        if not isinstance(interface, dict):
            return interface
        out = dict(interface)
        if isinstance(out.get("addr"), str):
            out["addr"] = address_class(out["addr"])
        mac = out.get("OS-EXT-IPS-MAC:mac_addr")
        if isinstance(mac, str):
            out["OS-EXT-IPS-MAC:mac_addr"] = f"<mac {macs.setdefault(mac, len(macs))}>"
        return out

    keyed = {k: blank(v) if k in SDK_OPAQUE else v for k, v in server.items()}
    addresses = server.get("addresses")
    if isinstance(addresses, dict):
        keyed["addresses"] = {
            net: [port(i) for i in ports] if isinstance(ports, list) else ports for net, ports in addresses.items()
        }
    return json.dumps(keyed, sort_keys=True)


def digest(text):
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def sdk_check(load):
    try:
        load()
    except Exception as exc:  # the point is to see what openstacksdk raises
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return False, [f"{first_line(exc)} (in {Path(frame.filename).name} {frame.name})"]
    return True, []


class Checker:
    """Runs every check on server objects and requests, each distinct object once."""

    def __init__(self):
        self.client = tempest_client()
        self.cloud = StandInCloud()
        self.tempest_done = {}  # digest of the server -> outcome
        self.sdk_done = {}  # digest of its sdk_key -> outcome
        self.outcomes = {}  # every distinct outcome, kept once

    def server(self, server, version, view="show"):
        """((check, passed, reasons), ...) for one server object at a microversion.

        `view` is how the fixtures say a client sees it: "show"
        (GET /servers/{id}) or "changes-since" (a detailed listing).
        """
        key = digest(json.dumps([server, version, view], sort_keys=True))
        if key not in self.tempest_done:
            if view == "show":
                check = (
                    f"tempest show_server {version}",
                    *call_tempest(
                        self.client, version, 200, {"server": server}, lambda: self.client.show_server(server.get("id"))
                    ),
                )
            else:
                check = (
                    f"tempest list_servers detail {version}",
                    *call_tempest(
                        self.client,
                        version,
                        200,
                        {"servers": [server]},
                        lambda: self.client.list_servers(detail=True, **{"changes-since": "2000-01-01T00:00:00Z"}),
                    ),
                )
            self.tempest_done[key] = self.kept([check])
        sdk = digest(sdk_key(server))
        if sdk not in self.sdk_done:
            self.sdk_done[sdk] = self.kept(
                [
                    ("openstacksdk Server.existing", *sdk_check(lambda: Server.existing(**server).to_dict())),
                    (
                        "openstacksdk cloud add_server_interfaces",
                        *sdk_check(lambda: meta.add_server_interfaces(self.cloud, Server.existing(**server))),
                    ),
                    (
                        "openstacksdk cloud get_hostvars_from_server",
                        *sdk_check(lambda: meta.get_hostvars_from_server(self.cloud, Server.existing(**server))),
                    ),
                ]
            )
        return self.tempest_done[key] + self.sdk_done[sdk]

    def kept(self, results):
        """The results as a tuple shared by every object with the same outcome."""
        outcome = tuple((name, ok, tuple(reasons)) for name, ok, reasons in results)
        return self.outcomes.setdefault(outcome, outcome)

    def request(self, entry, version):
        """[(check, passed or None when tempest checks nothing, reasons)] for one request."""
        action, status = entry["action"], entry["response"]["status"]
        if entry["kind"] != "ecs":
            skipped = "BMS: not Nova's API, tempest has no client for it"
        elif action not in ACTIONS:
            skipped = f"no tempest client method for {action!r}"
        elif status >= 400:
            skipped = f"{status}: an error response, which tempest does not validate"
        else:
            skipped = None
        body = entry["request"].get("body") or {}
        name = f"tempest servers_client {version}"
        if skipped:
            return [(name, None, [skipped])]
        ok, reasons = call_tempest(
            self.client,
            version,
            status,
            entry["response"].get("body"),
            lambda: ACTIONS[action](self.client, entry["server_id"], body),
        )
        return [(name, ok, [f"{action}: {r}" for r in reasons])]


class Tally:
    """Lines checked, passed and failed per (file, kind, check), with reasons."""

    def __init__(self):
        self.rows = collections.defaultdict(
            lambda: {
                "checked": 0,
                "passed": 0,
                "failed": 0,
                "not_checked": 0,
                "reasons": collections.Counter(),
                "not_checked_reasons": collections.Counter(),
                "example": {},
            }
        )

    def add(self, key, where, ok, reasons):
        row = self.rows[key]
        if ok is None:
            row["not_checked"] += 1
            row["not_checked_reasons"].update(set(reasons))
            return
        row["checked"] += 1
        row["passed" if ok else "failed"] += 1
        for reason in set(reasons):
            row["reasons"][reason] += 1
            row["example"].setdefault(reason, where)


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            yield number, json.loads(text)


def check_dir(folder, version, tally, checker):
    for number, line in read_lines(folder / "servers.jsonl"):
        for name, ok, reasons in checker.server(line["server"], version, line["view"]):
            tally.add(("servers.jsonl", line["kind"], name), f"servers.jsonl:{number}", ok, reasons)
    for number, line in read_lines(folder / "timelines.jsonl"):
        # a timeline line passes a check when every one of its views does
        verdicts = collections.defaultdict(lambda: [True, set()])
        for view in line["views"]:
            if view["status"] != 200:
                verdicts["tempest show_server (error views)"] = [None, {f"{view['status']}: an error response"}]
                continue
            for name, ok, reasons in checker.server(view["server"], version):
                verdicts[name][0] &= ok
                verdicts[name][1].update(reasons)
        for name, (ok, reasons) in verdicts.items():
            tally.add(("timelines.jsonl", line["kind"], name), f"timelines.jsonl:{number}", ok, reasons)
    for number, entry in read_lines(folder / "requests.jsonl"):
        for name, ok, reasons in checker.request(entry, version):
            tally.add(("requests.jsonl", entry["kind"], name), f"requests.jsonl:{number}", ok, reasons)


def self_test(checker):
    """Nova-shaped samples pass their microversion's schema and openstacksdk.

    So a failure below is the fixtures', not this harness's.
    """
    problems = []
    for version in SAMPLE_MICROVERSIONS:
        sample = SAMPLES / f"server-{version}.json"
        for name, ok, reasons in checker.server(json.loads(sample.read_text())["server"], version):
            if not ok:
                problems.append(f"{sample.name} fails {name}: {reasons}")
    # and the harness can fail: a 2.100 object is not a 2.1 one
    sample = json.loads((SAMPLES / "server-2.100.json").read_text())["server"]
    if all(ok for _, ok, _ in checker.server(sample, "2.1")[:1]):
        problems.append("server-2.100.json passes tempest's 2.1 schema: the harness checks nothing")
    return problems


def ranked(counter):
    """Most common first, ties in alphabetical order."""
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


COUNTS = ("checked", "passed", "failed", "not_checked")
HEADER = f"{'file':16} {'kind':4} {'check':44} {'checked':>8} {'passed':>8} {'failed':>8} {'not checked':>12}"


def row_line(file, kind, check, counts):
    widths = (8, 8, 8, 12)
    return f"{file:16} {kind:4} {check:44} " + " ".join(f"{counts[k]:{w}}" for k, w in zip(COUNTS, widths))


def summarise(tally, totals):
    """Print the tally and return its rows for the report; add its counts to totals."""
    print(HEADER)
    rows = []
    for (file, kind, check), row in sorted(tally.rows.items()):
        counts = {k: row[k] for k in COUNTS}
        totals[(file, kind, check)].update(counts)
        print(row_line(file, kind, check, counts))
        reasons = ranked(row["reasons"])
        for reason, n in reasons[:TOP_REASONS]:
            print(f"{'':22}{n:8} lines: {reason}")
        if len(reasons) > TOP_REASONS:
            print(f"{'':31}and {len(reasons) - TOP_REASONS} more reasons (see the report)")
        rows.append(
            {
                "file": file,
                "kind": kind,
                "check": check,
                **counts,
                "reasons": [{"reason": r, "lines": n, "first": row["example"][r]} for r, n in reasons],
                "not_checked_reasons": [{"reason": r, "lines": n} for r, n in ranked(row["not_checked_reasons"])],
            }
        )
    return rows


def versions():
    names = ("tempest", "jsonschema", "openstacksdk")
    return {"python": sys.version.split()[0], **{n: metadata.version(n) for n in names}}


_worker_checker = None


def check_folder(folder):
    """(folder, fixtures.json, tally rows) or (folder, None, what went wrong), in a worker."""
    global _worker_checker
    if _worker_checker is None:
        logging.getLogger("tempest").setLevel(logging.ERROR)
        _worker_checker = Checker()
    tally = Tally()
    try:
        fixtures = json.loads((folder / "fixtures.json").read_text())
        check_dir(folder, fixtures["microversion"], tally, _worker_checker)
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        return folder, None, repr(exc)
    return folder, fixtures, dict(tally.rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="folders written by `fleetsim fixtures`")
    parser.add_argument("--report", type=Path, default=Path("conformance-report.json"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="folders checked at once")
    args = parser.parse_args()
    logging.getLogger("tempest").setLevel(logging.ERROR)

    problems = self_test(Checker())
    if problems:
        print("the harness rejects Nova-shaped samples:", *problems, sep="\n", file=sys.stderr)
        return 2
    report = {"versions": versions(), "scenarios": [], "totals": []}
    totals = collections.defaultdict(collections.Counter)
    # Folders are checked in parallel, each by one process with its own
    # tempest client; results come back in the order given.
    with multiprocessing.Pool(max(1, min(args.jobs, len(args.folders)))) as pool:
        for folder, fixtures, rows in pool.imap(check_folder, args.folders):
            if fixtures is None:
                print(f"cannot read the fixtures in {folder}: {rows}", file=sys.stderr)
                return 2
            tally = Tally()
            tally.rows.update(rows)
            print(f"\n== {fixtures['scenario']} at {fixtures['microversion']} (seed {fixtures['seed']}, {folder})")
            rows = summarise(tally, totals)
            report["scenarios"].append({"folder": str(folder), "fixtures": fixtures, "results": rows})

    print(f"\n== every scenario\n{HEADER}")
    for (file, kind, check), counts in sorted(totals.items()):
        print(row_line(file, kind, check, counts))
        report["totals"].append({"file": file, "kind": kind, "check": check, **counts})
    args.report.write_text(json.dumps(report, indent=2) + "\n")
    failed = sum(counts["failed"] for counts in totals.values())
    print(f"\n{'FAIL' if failed else 'PASS'}: {failed} failed line checks; report in {args.report}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
