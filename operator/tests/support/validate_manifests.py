"""Validates Kubernetes manifests against the real Kubernetes JSON schemas.

Reads JSON from stdin: {"version": "1.34", "crds": [CRD, ...], "documents": [doc, ...]}.
Built-in kinds are checked with kubernetes-validate in strict mode (unknown
fields are errors); custom resources against the openAPIV3Schema of the CRD
given for their kind, with the API server's structural rules (unknown fields
rejected as with fieldValidation=Strict, unless x-kubernetes-preserve-unknown-fields).
Prints a JSON list of {"index", "kind", "name", "error"}, one per invalid document.
"""

import copy
import json
import sys

import jsonschema
import kubernetes_validate


def structural(schema):
    """openAPIV3Schema -> JSON Schema with Kubernetes' structural semantics."""
    s = copy.deepcopy(schema)

    def walk(node):
        if not isinstance(node, dict):
            return
        if node.get("x-kubernetes-int-or-string"):
            node.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
        if node.get("nullable") and "type" in node:
            node["type"] = [node["type"], "null"]
        if (
            node.get("type") in ("object", ["object", "null"])
            and "properties" in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
            and "additionalProperties" not in node
        ):
            node["additionalProperties"] = False
        for key in ("properties",):
            for child in node.get(key, {}).values():
                walk(child)
        for key in ("items", "additionalProperties"):
            walk(node.get(key))
        for key in ("oneOf", "anyOf", "allOf"):
            for child in node.get(key, []):
                walk(child)

    walk(s)
    # The API server owns these; the schema does not describe them.
    s.setdefault("properties", {})
    for owned in ("apiVersion", "kind", "metadata"):
        s["properties"][owned] = {"type": ["string", "object"]}
    return s


def main():
    req = json.load(sys.stdin)
    version = req.get("version", "1.34")
    custom = {}
    for crd in req.get("crds", []):
        spec = crd["spec"]
        for v in spec["versions"]:
            api_version = f'{spec["group"]}/{v["name"]}'
            custom[(api_version, spec["names"]["kind"])] = structural(v["schema"]["openAPIV3Schema"])
    problems = []
    for i, doc in enumerate(req.get("documents", [])):
        kind = doc.get("kind", "?")
        name = (doc.get("metadata") or {}).get("name", "?")
        try:
            schema = custom.get((doc.get("apiVersion"), kind))
            if schema is not None:
                jsonschema.validators.Draft202012Validator(schema).validate(doc)
            else:
                kubernetes_validate.validate(doc, version, strict=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported as data
            message = getattr(e, "message", None) or str(e)
            path = getattr(getattr(e, "caused_by", e), "path", None) or getattr(e, "path", None)
            if path:
                message = f'{".".join(str(p) for p in path)}: {message}'
            problems.append({"index": i, "kind": kind, "name": name, "error": message})
    json.dump(problems, sys.stdout)


if __name__ == "__main__":
    main()
