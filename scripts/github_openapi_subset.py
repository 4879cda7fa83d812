"""Extract the GitHub REST operations imgfix's pull-request bot uses into tests/data.

Usage: python scripts/github_openapi_subset.py PATH/TO/api.github.com.json [OUT]

The input is GitHub's published OpenAPI description (github/rest-api-description, MIT), as
shipped by the npm package ``@octokit/openapi`` (``generated/api.github.com.json``):

    npm pack @octokit/openapi@23.0.2 && tar xzf octokit-openapi-23.0.2.tgz

For each operation in ``OPERATIONS`` it keeps the method, path, parameters, the JSON request
body schema and the JSON response schemas by status, and every component schema they refer
to. OpenAPI 3.0 schema objects are turned into JSON Schema (2020-12) so that ``jsonschema``
can check them: ``nullable: true`` becomes a ``"null"`` type, and keys that only document
(description, example, externalDocs, ...) are dropped. The output is deterministic.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OPERATIONS = (
    "repos/get",
    "pulls/get", "pulls/list", "pulls/create", "pulls/update", "pulls/list-files",
    "pulls/list-reviews", "pulls/create-review", "pulls/update-review",
    "pulls/list-review-comments", "pulls/create-review-comment", "pulls/update-review-comment",
    "pulls/delete-review-comment",
    "issues/create-comment",
    "git/get-ref", "git/get-commit", "git/create-tree", "git/create-commit", "git/create-ref",
    "git/update-ref", "git/delete-ref",
)
_DOC_ONLY = {"description", "example", "examples", "externalDocs", "xml", "title", "summary", "discriminator", "readOnly", "writeOnly"}
_REF = "#/components/schemas/"


def convert(node, refs: set[str]):
    """An OpenAPI 3.0 schema object as JSON Schema; collects the component schemas it names."""
    if isinstance(node, list):
        return [convert(n, refs) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in _DOC_ONLY and not (key == "title" and isinstance(value, dict)):
            continue
        if key == "properties":  # property names are data, not keywords
            out[key] = {name: convert(sub, refs) for name, sub in value.items()}
        elif key == "$ref":
            if not value.startswith(_REF):
                raise SystemExit(f"unexpected reference {value}")
            refs.add(value[len(_REF):])
            out[key] = value
        elif key == "nullable":
            continue
        else:
            out[key] = convert(value, refs)
    if node.get("nullable"):
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = types + ["null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _deref(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = spec["components"][section][name]
    return node


def _json_schema(spec: dict, holder: dict | None, refs: set[str]):
    if holder is None:
        return None
    holder = _deref(spec, holder)
    content = holder.get("content", {})
    media = content.get("application/json") or next(iter(content.values()), None) if content else None
    if media is None or "schema" not in media:
        return None
    return convert(media["schema"], refs)


def extract(spec: dict) -> dict:
    by_id = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                by_id[op["operationId"]] = (method, path, op, item.get("parameters", []))
    refs: set[str] = set()
    operations = {}
    for op_id in OPERATIONS:
        method, path, op, shared = by_id[op_id]
        params = []
        for p in list(shared) + op.get("parameters", []):
            p = _deref(spec, p)
            params.append({"name": p["name"], "in": p["in"], "required": bool(p.get("required")),
                           "schema": convert(p.get("schema", {}), refs)})
        body = op.get("requestBody")
        operations[op_id] = {
            "method": method.upper(),
            "path": path,
            "parameters": params,
            "requestBody": None if body is None else {
                "required": bool(_deref(spec, body).get("required")),
                "schema": _json_schema(spec, body, refs),
            },
            "responses": {code: _json_schema(spec, resp, refs) for code, resp in sorted(op["responses"].items())},
        }
    schemas, todo = {}, sorted(refs)
    while todo:
        name = todo.pop()
        if name in schemas:
            continue
        more: set[str] = set()
        schemas[name] = convert(spec["components"]["schemas"][name], more)
        todo += sorted(more - set(schemas))
    return {
        "source": {
            "description": "GitHub REST API OpenAPI description (github/rest-api-description)",
            "package": "npm @octokit/openapi",
            "package_version": spec["info"].get("version"),
            "file": "generated/api.github.com.json",
            "openapi": spec["openapi"],
            "license": "MIT",
        },
        "operations": operations,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    out = Path(argv[1]) if len(argv) == 2 else Path(__file__).resolve().parent.parent / "tests/data/github-openapi-subset.json"
    out.write_text(json.dumps(extract(spec), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{out}: {len(OPERATIONS)} operations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
