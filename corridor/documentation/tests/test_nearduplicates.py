"""Near-duplicate detection: copies and retellings are found, unrelated texts are not."""

from __future__ import annotations

import random

import pytest

from corridor.accounts import domain as accounts_domain
from corridor.documentation import domain, nearduplicates
from corridor.documentation.nearduplicates import FlagKind, Index, estimate, jaccard, near_duplicates, shingles, signature
from corridor.documentation.tests.factories import act_on, event, officer, person_in_case, source

REPORT = (
    "On the night of 1 March officers of the special police regiment detained at least twelve men in Argun. "
    "The men were taken to a former military building where they were beaten, given electric shocks "
    "and forced to name other gay men they knew. Relatives were summoned and told to deal with them. "
    "Two of the men have not been seen since; the others were released after ten days."
)
# The same report as an outlet reprints it: a new first sentence, one sentence dropped, a few words changed.
REPRINT = (
    "A regional outlet reports the following. "
    "On the night of 1 March officers of the special police regiment detained at least twelve men in Argun. "
    "The men were taken to a former military building where they were beaten, given electric shocks "
    "and forced to name other gay men they knew. Relatives were summoned and told to deal with them."
)
UNRELATED = (
    "The embassy confirmed that the humanitarian visa programme remains open for applications, "
    "though processing now takes about four months and an interview in person is required for every adult."
)


def _words(rng: random.Random, n: int) -> str:
    vocabulary = [f"w{i}" for i in range(3000)]
    return " ".join(rng.choice(vocabulary) for _ in range(n))


def test_signature_is_deterministic_and_estimates_jaccard() -> None:
    a, b = shingles(REPORT), shingles(REPRINT)
    assert signature(a) == signature(shingles(REPORT))
    assert abs(estimate(signature(a), signature(b)) - jaccard(a, b)) < 0.15
    assert jaccard(a, b) > 0.6
    assert jaccard(shingles(REPORT), shingles(UNRELATED)) == 0.0


def test_normalisation_ignores_case_and_punctuation() -> None:
    assert shingles("Они били ТОКОМ, и угрожали семье!") == shingles("они  били током и угрожали семье")


def test_near_duplicates_found_and_unrelated_texts_not() -> None:
    rng = random.Random(7)
    texts = {f"noise-{i}": _words(rng, 120) for i in range(200)}
    texts |= {"report": REPORT, "reprint": REPRINT, "unrelated": UNRELATED}
    pairs = near_duplicates(texts)
    assert [(p.a, p.b) for p in pairs] == [("report", "reprint")]
    assert pairs[0].similarity > 0.6


def test_index_query_for_a_new_text() -> None:
    index = Index()
    index.add("report", REPORT)
    index.add("unrelated", UNRELATED)
    assert [key for key, _score in index.query(REPRINT)] == ["report"]
    assert index.query("Nothing at all like the others, just a short note about the weather today.") == []
    assert index.query("") == []


@pytest.mark.django_db
def test_flags_for_an_event() -> None:
    team = accounts_domain.create_team(None, "Documentation A")
    doc = officer(team)
    victim, _case = person_in_case(team, "Victim Name")
    witness, _case2 = person_in_case(team, "Witness Name")
    other_witness, _case3 = person_in_case(team, "Other Witness")
    made = event(doc, team)
    target = act_on(doc, made, victim)
    original = source(doc, team, title="Original", text=REPORT)
    copy = source(doc, team, title="Copy", text=REPRINT)
    already = source(doc, team, title="Known reprint", text=REPRINT, derived_from=original)
    first = source(doc, team, kind="testimony", person=witness, text=REPORT)
    second = source(doc, team, kind="testimony", person=other_witness, text=REPORT)
    unrelated = source(doc, team, title="Unrelated", text=UNRELATED)
    for src in (original, copy, already, first, second, unrelated):
        domain.link_information(doc, src, act_=target, how_known="hearsay")
    flags = nearduplicates.flags_for_event(doc, made)
    found = {(flag.kind, frozenset(s.pk for s in flag.sources)) for flag in flags}
    assert (FlagKind.IDENTICAL_TESTIMONIES, frozenset({first.pk, second.pk})) in found
    assert (FlagKind.COPIES, frozenset({original.pk, copy.pk})) in found
    # Already recorded as derived: not flagged again.
    assert (FlagKind.COPIES, frozenset({original.pk, already.pk})) not in found
    assert all(unrelated.pk not in {s.pk for s in flag.sources} for flag in flags)
    assert "share" in flags[0].text
    # An officer of another team sees none of these sources, so no flag either.
    outsider = officer(accounts_domain.create_team(None, "Elsewhere"))
    assert nearduplicates.flags_for_event(outsider, made) == []
