"""Summarise a Schemathesis NDJSON report (fuzz.sh writes one per run to .fuzz/report-*/).

Per operation: cases sent, HTTP statuses, `extensions.code` of the errors, how many answers had
data. Then the distinct error messages that came without `extensions.code` from a resolver (a path
is set), which the README's error contract ("errors carry a stable extensions.code") does not
expect; they are listed for inspection, not failed on (no_internal_error in fuzz_hooks.py decides
failure).

    python fuzz_summary.py .fuzz/report-administrator/ndjson-*.ndjson
"""

from __future__ import annotations

import base64
import collections
import json
import sys


def _decode(blob: object) -> str:
    if isinstance(blob, dict) and "$base64" in blob:
        return base64.b64decode(blob["$base64"]).decode("utf-8", "replace")
    return blob if isinstance(blob, str) else ""


def main(path: str) -> None:
    per_op: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    uncoded: dict[str, tuple[str, str]] = {}
    seen: set[tuple[str, str]] = set()
    with open(path, encoding="utf-8") as fd:
        for line in fd:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            label = recorder["label"]
            for case_id, interaction in (recorder.get("interactions") or {}).items():
                if (label, case_id) in seen:
                    continue
                seen.add((label, case_id))
                response = interaction.get("response") or {}
                c = per_op[label]
                c["cases"] += 1
                status = response.get("status_code")
                c[f"http {status}"] += 1
                body = _decode(response.get("content"))
                try:
                    payload = json.loads(body)
                except ValueError:
                    c["non-JSON body"] += 1
                    continue
                if not isinstance(payload, dict):
                    continue
                if isinstance(payload.get("data"), dict) and any(v is not None for v in payload["data"].values()):
                    c["with data"] += 1
                for err in payload.get("errors") or []:
                    ext = err.get("extensions") if isinstance(err, dict) else None
                    code = ext.get("code") if isinstance(ext, dict) else None
                    if code:
                        c[f"code {code}"] += 1
                    elif isinstance(err, dict) and err.get("path"):
                        c["resolver error without code"] += 1
                        msg = str(err.get("message", ""))
                        key = msg.split(":")[0][:120]
                        if key not in uncoded:
                            query = json.loads(_decode(interaction["request"].get("body")) or "{}").get("query", "")
                            uncoded[key] = (label, f"{msg[:300]}  <= {query[:300]!r}")
                    else:
                        c["request error (parse/validation)"] += 1
    print(f"Summary of {path}")
    for label in sorted(per_op):
        c = per_op[label]
        rest = ", ".join(f"{k}: {v}" for k, v in sorted(c.items()) if k != "cases")
        print(f"  {label}: {c['cases']} cases; {rest}")
    if uncoded:
        print("  Resolver errors without extensions.code (distinct messages):")
        for key, (label, example) in uncoded.items():
            print(f"    [{label}] {example}")


if __name__ == "__main__":
    for p in sys.argv[1:]:
        main(p)
