"""Drawing the DAG as dot, mermaid or JSON."""

from __future__ import annotations

import json

import networkx as nx


def draw(graph: nx.DiGraph, fmt: str) -> str:
    nodes = sorted(graph.nodes)
    edges = sorted(graph.edges)
    if fmt == "json":
        return json.dumps({"nodes": nodes, "edges": [list(e) for e in edges]}, indent=1)
    if fmt == "mermaid":
        ids = {node: f"n{i}" for i, node in enumerate(nodes)}
        lines = ["graph TD"]
        lines += [f'    {ids[n]}["{n}"]' for n in nodes]
        lines += [f"    {ids[a]} --> {ids[b]}" for a, b in edges]
        return "\n".join(lines)
    lines = ["digraph recipes {", "    rankdir=LR;"]
    lines += [f'    "{n}";' for n in nodes]
    lines += [f'    "{a}" -> "{b}";' for a, b in edges]
    lines.append("}")
    return "\n".join(lines)
