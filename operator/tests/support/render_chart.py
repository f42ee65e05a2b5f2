"""Renders and lints a Helm chart with the real Helm engine (helm-python-sdk:
Helm 4 as a library, no helm binary).

Test mode (JSON on stdin): {"chart": DIR, "values": {...}, "name": NAME, "namespace": NS}
prints {"lint": {...}, "manifests": [doc, ...], "crds": [doc, ...], "notes": TEXT}
or {"error": MESSAGE} when Helm refuses the values.

Deploy mode: `render_chart.py --deploy CHART OUT` writes the plain manifests
users apply without Helm (`kubectl apply -f crds/ -f deploy/`).
"""

import json
import sys

import helm_python as helm
import yaml

RELEASE = "openclaw-operator"
NAMESPACE = "openclaw-system"


def render(chart_dir, values, name, namespace):
    chart = helm.Chart.load(chart_dir)
    chart.validate_schema(values)
    rendered = chart.render(values, name=name, namespace=namespace, is_install=True)
    return chart, rendered


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--deploy":
        deploy(sys.argv[2], sys.argv[3])
        return
    req = json.load(sys.stdin)
    try:
        chart, rendered = render(req["chart"], req.get("values") or {}, req.get("name", RELEASE), req.get("namespace", NAMESPACE))
    except helm.HelmError as e:
        json.dump({"error": str(e)}, sys.stdout)
        return
    lint = helm.lint(req["chart"], req.get("values") or {}, strict=True, namespace=req.get("namespace", NAMESPACE))
    manifests, notes = [], ""
    for path in sorted(rendered):
        if path.endswith("NOTES.txt"):
            notes = rendered[path]
            continue
        manifests.extend(d for d in yaml.safe_load_all(rendered[path]) if d)
    crds = [d for c in chart.crds for d in yaml.safe_load_all(c["data"]) if d]
    json.dump({"lint": lint, "manifests": manifests, "crds": crds, "notes": notes}, sys.stdout)


def deploy(chart_dir, out):
    _, rendered = render(chart_dir, {}, RELEASE, NAMESPACE)
    parts = [
        "# Generated from charts/openclaw-operator with default values; do not edit.\n"
        "# Regenerate: $OPENCLAW_PYTHON operator/tests/support/render_chart.py --deploy charts/openclaw-operator deploy/openclaw-operator.yaml\n"
        "# Install without Helm: kubectl apply -f crds/ -f deploy/\n",
        f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NAMESPACE}\n",
    ]
    for path in sorted(rendered):
        if path.endswith("NOTES.txt"):
            continue
        for doc in rendered[path].split("\n---\n"):
            body = "\n".join(line for line in doc.splitlines() if line.strip() != "---").strip()
            if body and any(not line.lstrip().startswith("#") for line in body.splitlines()):
                parts.append(f"# Source: {path.split('/', 1)[-1]}\n{body}\n" if not body.startswith("# Source") else body + "\n")
    with open(out, "w") as f:
        f.write("---\n".join(parts))


if __name__ == "__main__":
    main()
