"""Hypothesis strategies for vendor payloads gone wrong: random JSON, and real payloads mutated.

A mutation walks into the payload and, somewhere, drops a key, nulls a value, swaps its type,
blows a string up, fills it with unusual unicode, or buries it in nested garbage. Several
mutations may stack, so a parser meets the half-broken shapes vendors (and attackers) send.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from services.ingest.tests.connectors.vendors import EXAMPLES, VENDORS

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

# Surrogates cannot be encoded; everything else, including controls, emoji and right-to-left marks, may come.
unicode_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
huge_text = st.builds(
    lambda unit, times: unit * times, st.sampled_from(["x", "é", "🙂", "<p>", "\n", " "]), st.integers(1_000, 60_000)
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63)  # larger than any database's integer
    | st.floats(allow_nan=False)
    | unicode_text
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(unicode_text, children, max_size=4),
    max_leaves=20,
)


def _replacement(value: Any) -> st.SearchStrategy[Any]:
    """Something in `value`'s place: null, another type, a huge or odd string, or the value nested in garbage."""
    return st.one_of(
        st.none(),
        json_values,
        huge_text,
        unicode_text,
        st.just([value]),
        st.builds(lambda garbage: {"": value, "x": garbage}, json_values),
        st.just(str(value)) if not isinstance(value, str) else st.just(0),
    )


@st.composite
def _mutated_once(draw: st.DrawFn, node: Any) -> Any:
    # Mostly go deeper, so the mutation lands anywhere in the tree, not only at its top.
    if isinstance(node, dict | list) and node and draw(st.integers(0, 5)) > 0:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = draw(st.sampled_from(keys))
        copy: Any = dict(node) if isinstance(node, dict) else list(node)
        if draw(st.integers(0, 4)) == 0:
            del copy[key]
        else:
            copy[key] = draw(_mutated_once(copy[key]))
        return copy
    return draw(_replacement(node))


@st.composite
def mutated(draw: st.DrawFn, payload: Any, most: int = 4) -> Any:
    """`payload` with one to `most` mutations, anywhere in it."""
    for _ in range(draw(st.integers(1, most))):
        payload = draw(_mutated_once(payload))
    return payload


# What a forger puts in a header; what can cross HTTP at all is printable ASCII (h11 refuses the rest).
header_values = (
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=80)
    | st.text("0123456789abcdef=+/", max_size=80)
    | st.sampled_from(["sha256=", "sha1=", "v1,", "0"])
)


def forged_headers(values: st.SearchStrategy[str] = header_values) -> st.SearchStrategy[dict[str, str]]:
    """Headers a forger would try: every vendor's signature, timestamp and event headers, filled with `values`."""
    names = sorted({name.lower() for vendor in VENDORS for name in vendor.feedback_delivery("s", NOW).headers})
    return st.dictionaries(st.sampled_from([*names, "x-unknown"]), values, max_size=6)


def example_payloads() -> list[tuple[str, str, Any]]:
    """The vendors' published examples (../shared/connectors/payloads): (source, file name, parsed JSON)."""
    if not EXAMPLES.exists():
        return []
    return [
        (path.parent.name, path.name, json.loads(path.read_text())) for path in sorted(Path(EXAMPLES).glob("*/*.json"))
    ]
