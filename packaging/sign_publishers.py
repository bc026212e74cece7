"""Re-sign Hearth's publisher list with the app's root key (release managers only).

    python packaging/sign_publishers.py --root-key /offline/root.pem [--add NAME KEY PREFIX...]

The root's private key never enters the repository or an installer; only its public half is
compiled into the app (desktop/personas/publishers.py, APP_ROOT_KEYS). Each signing bumps the
list's version and date.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop.personas.bundle import Signer  # noqa: E402
from desktop.personas.publishers import (  # noqa: E402
    APP_ROOT_KEYS,
    read_publisher_list,
    sign_publisher_list,
)

LIST = ROOT / "assets" / "keys" / "publishers.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root-key", type=Path, required=True, help="the root's PEM file")
    parser.add_argument("--root-name", default=next(iter(APP_ROOT_KEYS)))
    parser.add_argument("--add", nargs="+", action="append", default=[],
                        metavar=("NAME KEY", "PREFIX"),
                        help="list (or replace) a publisher: name, base64 key, id prefixes")
    args = parser.parse_args()
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(args.root_key.read_bytes(), password=None)
    public = private.public_key().public_bytes(serialization.Encoding.Raw,
                                               serialization.PublicFormat.Raw)
    root = Signer(args.root_name, private, public)
    current = json.loads(LIST.read_text(encoding="utf-8"))
    publishers = {p["name"]: p for p in current.get("publishers", [])}
    for name, key, *prefixes in args.add:
        publishers[name] = {"name": name, "key": key, "id_prefixes": prefixes}
    body = {"version": int(current.get("version", 0)) + 1,
            "issued": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "publishers": sorted(publishers.values(), key=lambda p: p["name"])}
    signed = sign_publisher_list(body, root, args.root_name)
    data = (json.dumps(signed, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    read_publisher_list(data)  # the app must accept what we ship
    LIST.write_bytes(data)
    print(f"Signed publisher list version {body['version']} ({len(publishers)} publishers).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
