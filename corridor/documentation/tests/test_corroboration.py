"""Corroboration on constructed cases: what counts as independent, and what lowers consistency."""

from __future__ import annotations

import datetime

import pytest

from corridor.accounts import domain as accounts_domain
from corridor.documentation import corroboration, domain
from corridor.documentation.corroboration import Report, SourceNode, corroborate, roots
from corridor.documentation.tests.factories import act_on, event, officer, perpetrator, person_in_case, source

D = datetime.date


def nodes(*items: SourceNode) -> dict[object, SourceNode]:
    return {node.id: node for node in items}


def test_two_media_reports_where_one_copies_the_other_count_as_one() -> None:
    graph = nodes(SourceNode("original", kind="media"), SourceNode("copy", derived_from="original", kind="media"))
    result = corroborate([Report("original", start=D(2017, 3, 1)), Report("copy", start=D(2017, 3, 1))], graph)
    assert (result.sources, result.independent) == (2, 1)
    assert result.score is None  # nothing independent to compare with
    assert [r.code for r in result.reasons] == ["derived", "single_source"]
    assert result.reasons[0].text == "2 sources, but they trace back to 1 original."


def test_victim_testimony_and_an_independent_witness_count_as_two() -> None:
    graph = nodes(SourceNode("victim", kind="testimony", person="p1"), SourceNode("witness", kind="testimony", person="p2"))
    result = corroborate(
        [Report("victim", start=D(2017, 3, 1), how_known="victim"), Report("witness", start=D(2017, 3, 2), how_known="witness")],
        graph,
    )
    assert (result.sources, result.independent, result.first_hand) == (2, 2, 2)
    assert result.score == 1.0
    assert [r.code for r in result.reasons] == ["dates_agree"]


def test_two_testimonies_by_one_person_count_once() -> None:
    graph = nodes(SourceNode("first", kind="testimony", person="p1"), SourceNode("second", kind="testimony", person="p1"))
    assert corroborate([Report("first"), Report("second")], graph).independent == 1


def test_a_three_level_derivation_chain_counts_once() -> None:
    graph = nodes(
        SourceNode("a", kind="organisation"),
        SourceNode("b", derived_from="a", kind="media"),
        SourceNode("c", derived_from="b", kind="media"),
        SourceNode("witness", kind="testimony", person="w"),
    )
    result = corroborate([Report("a"), Report("b"), Report("c"), Report("witness")], graph)
    assert (result.sources, result.independent) == (4, 2)
    assert roots(graph) == {"a": "a", "b": "a", "c": "a", "witness": "witness"}


def test_a_loop_in_stored_data_still_ends() -> None:
    graph = nodes(SourceNode("x", derived_from="y"), SourceNode("y", derived_from="x"))
    assert corroborate([Report("x"), Report("y")], graph).independent == 1


def test_inconsistent_dates_lower_consistency_and_say_why() -> None:
    graph = nodes(SourceNode("a"), SourceNode("b"))
    close = corroborate([Report("a", start=D(2017, 3, 1)), Report("b", start=D(2017, 3, 2))], graph)
    apart = corroborate([Report("a", start=D(2017, 3, 1)), Report("b", start=D(2017, 3, 22))], graph)
    assert close.score == 1.0
    assert apart.score is not None and apart.score < close.score
    assert apart.reason_texts == ["2 sources give dates 3 weeks apart."]
    months = corroborate([Report("a", start=D(2017, 1, 1)), Report("b", start=D(2017, 6, 1))], graph)
    assert months.score is not None and months.score < apart.score
    assert months.reason_texts == ["2 sources give dates 5 months apart."]


def test_places_and_perpetrators_are_compared() -> None:
    graph = nodes(SourceNode("a"), SourceNode("b"), SourceNode("c"))
    same = corroborate(
        [
            Report("a", place="Argun, police station", perpetrators=frozenset({1})),
            Report("b", place="argun police-station", perpetrators=frozenset({1})),
        ],
        graph,
    )
    assert same.score == 1.0
    assert [r.code for r in same.reasons] == ["dates_single", "places_agree", "perpetrators_agree"]
    differ = corroborate(
        [Report("a", place="Argun", perpetrators=frozenset({1})), Report("b", place="Grozny", perpetrators=frozenset({2}))], graph
    )
    assert differ.score == round(1 - corroboration.PENALTY_PLACES - corroboration.PENALTY_PERPETRATORS_DISJOINT, 2)
    assert differ.reason_texts[1:] == [
        "2 independent sources name different places.",
        "2 independent sources name no perpetrator in common.",
    ]


def test_reasons_in_russian() -> None:
    from django.utils import translation

    graph = nodes(SourceNode("a"), SourceNode("b"))
    apart = corroborate([Report("a", start=D(2017, 3, 1)), Report("b", start=D(2017, 3, 22))], graph)
    with translation.override("ru"):
        text = apart.reasons[0].text
    assert text == "Источники (2) называют даты с разницей в 3 недели."


@pytest.mark.django_db
def test_from_the_database_in_bulk(django_assert_max_num_queries) -> None:
    team = accounts_domain.create_team(None, "Documentation A")
    doc = officer(team)
    victim, _case = person_in_case(team, "Victim Name")
    witness, _case2 = person_in_case(team, "Witness Name")
    made = event(doc, team)
    first, second = act_on(doc, made, victim), act_on(doc, made, victim, code="threats")
    unit = perpetrator(doc)
    by_victim = source(doc, team, kind="testimony", person=victim)
    by_witness = source(doc, team, kind="testimony", person=witness)
    report = source(doc, team, kind="media")
    reprint = source(doc, team, kind="media", derived_from=report)
    reprint2 = source(doc, team, kind="media", derived_from=reprint)
    for src, how, start in ((by_victim, "victim", D(2017, 3, 1)), (by_witness, "witness", D(2017, 3, 2))):
        domain.link_information(
            doc, src, act_=first, how_known=how, reported_start=start, reported_place="Argun", reported_perpetrators=[unit]
        )
    for src in (report, reprint, reprint2):
        domain.link_information(doc, src, act_=second, how_known="hearsay", reported_start=D(2017, 4, 1))
    with django_assert_max_num_queries(12):
        results = corroboration.for_acts([first, second])
    assert (results[first.pk].independent, results[first.pk].sources, results[first.pk].score) == (2, 2, 1.0)
    assert (results[second.pk].independent, results[second.pk].sources) == (1, 3)
    assert corroboration.for_act(first).first_hand == 2
