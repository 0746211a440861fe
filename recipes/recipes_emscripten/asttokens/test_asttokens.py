"""asttokens in the wasm Python: source text and token positions of AST nodes."""

import ast

import asttokens

SOURCE = "total = price * (1 + rate)  # with tax\n"


def test_text_of_nodes():
    atok = asttokens.ASTTokens(SOURCE, parse=True)
    binop = next(
        n for n in ast.walk(atok.tree) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult)
    )
    assert atok.get_text(binop) == "price * (1 + rate)"
    assert atok.get_text_range(binop) == (8, 26)
    assert [t.string for t in atok.tokens if t.string.startswith("#")] == ["# with tax"]
