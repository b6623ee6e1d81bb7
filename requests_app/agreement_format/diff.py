"""What changed between two agreement versions, clause by clause, word by word.

Clauses are compared by number (the order the owner wrote them in): a clause is `unchanged`,
`changed` (with the words removed and added), `added` (the new version has more clauses) or
`removed`. The comparison reads only the stored texts, so it shows exactly what was signed.
"""

import difflib
import re
from dataclasses import dataclass

from .loading import sha256_text

_WORDS = re.compile(r"\S+|\s+")


@dataclass(frozen=True)
class ClauseChange:
    number: int
    status: str  # "unchanged", "changed", "added", "removed"
    title: str
    text: str  # the new text (the old one for a removed clause)
    # (op, words): op is "equal", "delete" or "insert"; words keep their spacing.
    words: tuple[tuple[str, str], ...] = ()

    @property
    def needs_acceptance(self) -> bool:
        return self.status in ("changed", "added")

    @property
    def text_sha256(self) -> str:
        return sha256_text(self.text)


def word_diff(old: str, new: str) -> tuple[tuple[str, str], ...]:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("equal", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(("insert", "".join(b[j1:j2])))
    return tuple(out)


def _full(clause: dict) -> str:
    return "\n".join(p for p in (clause.get("heading", ""), clause.get("title", ""), clause["text"]) if p)


def clause_changes(old_clauses: list[dict], new_clauses: list[dict]) -> list[ClauseChange]:
    changes = []
    for i in range(max(len(old_clauses), len(new_clauses))):
        old = old_clauses[i] if i < len(old_clauses) else None
        new = new_clauses[i] if i < len(new_clauses) else None
        if new is None:
            changes.append(
                ClauseChange(old["number"], "removed", old.get("title", ""), old["text"], (("delete", _full(old)),))
            )
        elif old is None:
            changes.append(
                ClauseChange(new["number"], "added", new.get("title", ""), new["text"], (("insert", _full(new)),))
            )
        elif _full(old) == _full(new):
            changes.append(
                ClauseChange(new["number"], "unchanged", new.get("title", ""), new["text"], (("equal", _full(new)),))
            )
        else:
            changes.append(
                ClauseChange(
                    new["number"], "changed", new.get("title", ""), new["text"], word_diff(_full(old), _full(new))
                )
            )
    return changes
