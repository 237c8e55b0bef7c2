"""Write the fuzz dictionaries of schemathesis.toml (.fuzz/*.dict, libFuzzer format) from the
server under test: kommune names and koder, ids of enheder and serviceleverancer, CVR numbers.

    python fuzz_dicts.py URL [ADMIN_TOKEN [KOMMUNE_TOKEN]]

The ids are the first serviceleverancer the administrator sees and those of the kommune (its
own, so that the kommune's run also reaches the paths of an agreement it may change).
"""

from __future__ import annotations

import json
import pathlib
import sys

import requests

OUT = pathlib.Path(__file__).resolve().parent / ".fuzz"


def gql(url: str, query: str, token: str | None = None) -> dict:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    r = requests.post(url, json={"query": query}, headers=headers, timeout=30)
    r.raise_for_status()
    body = r.json()
    if body.get("errors"):
        raise SystemExit(f"fuzz_dicts: {query!r} failed: {json.dumps(body['errors'], ensure_ascii=False)}")
    return body["data"]


def write(name: str, values: list[str]) -> None:
    values = list(dict.fromkeys(v for v in values if v))  # unique, in order
    if not values:
        raise SystemExit(f"fuzz_dicts: no values for {name}")
    lines = [json.dumps(v, ensure_ascii=False) for v in values]  # "quoted", JSON escapes are libFuzzer's
    (OUT / f"{name}.dict").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"  .fuzz/{name}.dict: {len(values)} entries")


def main() -> None:
    url = sys.argv[1]
    token = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    kommune_token = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    OUT.mkdir(exist_ok=True)

    kommuner = gql(url, "{ kommuner { kode navn cvr } }")["kommuner"]
    enheder = [
        e["node"]
        for kommune in ("Aarhus", "Roskilde")
        for e in gql(url, f'{{ search(kommune: "{kommune}", kind: ALLE, first: 8) {{ edges {{ node {{ id }} }} }} }}')[
            "search"
        ]["edges"]
    ]
    sl_ids: list[str] = []
    for t in (kommune_token, token):
        if t:
            data = gql(url, "{ serviceleverancer(first: 15) { edges { node { id } } } }", t)
            sl_ids += [e["node"]["id"] for e in data["serviceleverancer"]["edges"]]

    picked = [k for k in kommuner if k["navn"] in {"Aarhus", "Roskilde", "Lejre", "København", "Odense"}]
    picked += kommuner[::10]
    write("kommuner", [k["navn"] for k in picked] + [k["navn"].lower() for k in picked] + [k["kode"] for k in picked])
    write("kommunekoder", [k["kode"] for k in picked])
    enhed_ids = [e["id"] for e in enheder]
    write("enhedids", enhed_ids)
    write("ids", sl_ids + enhed_ids)
    write("cvr", ["29189404", "12345678", "90000001"] + [k["cvr"] for k in picked if k.get("cvr")])


if __name__ == "__main__":
    main()
