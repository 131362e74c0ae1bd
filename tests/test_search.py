"""The keyword search ``?q=`` (hazards/search.py): exact for queries of any length, scoped, kept in step
with the ledger by the database's triggers, and answered from the GIN index on PostgreSQL."""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hazards import search, services
from hazards.filtersets import HazardFilterSet
from hazards.models import Hazard, HazardSearch
from hazards.search import matching_ids


def found(world, q: str, user=None) -> set[int]:
    user = user or world.city_office
    filterset = HazardFilterSet({"q": q}, queryset=Hazard.objects.visible_to(user))
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("pk", flat=True))


def api_found(world, q: str, user) -> set[int]:
    client = Client()
    client.force_login(user)
    response = client.get("/api/v1/hazards/", {"q": q})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def ledger(world):
    """Three hazards of 红旗区 and one of 卫滨区, with texts that share characters but not every word."""
    a = world.listed(title="配电箱未接地", description="车间东侧配电箱外壳未可靠接地。", address="西街 3 号车间")
    b = world.listed(title="消防通道堵塞", description="仓库消防通道被货物堵塞。", address="东区仓库")
    c = world.assigned(world.listed(title="Dust collector LEAK", description="除尘器泄漏", address="B 栋"))
    wb = services.hazard_register(
        details=world.details(
            region=world.weibin, title="配电柜门损坏", description="配电柜门无法关闭。", address="卫滨"
        ),
        by=world.wb_officer,
    )
    return {"a": a.pk, "b": b.pk, "c": c.pk, "wb": wb.pk}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("配", {"a", "wb"}),  # one character
        ("配电", {"a", "wb"}),  # two
        ("配电箱", {"a"}),  # three: 配电 and 电箱 both occur in b? no; only a has the word
        ("消防通道", {"b"}),  # four
        ("通道被货物堵塞", {"b"}),  # a long phrase from the description
        ("箱外壳未可", {"a"}),
        ("道堵", {"b"}),  # across the words of a title
        ("电柜门", {"wb"}),
        ("dust", {"c"}),  # Latin, any case
        ("COLLECTOR leak", {"c"}),
        ("leak dust", set()),  # every pair present, not in that order
        ("车间配电", set()),  # 车间 and 配电 occur, 间配 does not
        ("李四", {"c"}),  # the responsible person
        ("红旗机械", {"c"}),  # the unit's name
        ("hqjx", {"c"}),  # its pinyin initials, from the middle of the name
        ("东区仓", {"b"}),  # the address
        ("不存在的词", set()),
        ("%", set()),
        ("_", set()),
        ("'", set()),
        ("\\", set()),
        ("a&b|!c:*", set()),
    ],
)
def test_search_finds_exactly_the_hazards_that_contain_the_text(world, ledger, q, expected):
    assert found(world, q) == {ledger[key] for key in expected}


def test_search_by_number_part_and_prefix(world, ledger):
    number = Hazard.objects.get(pk=ledger["b"]).number
    assert found(world, number) == {ledger["b"]}
    assert found(world, number[-6:]) >= {ledger["b"]}  # part of the number
    assert found(world, number.lower()) == {ledger["b"]}


def test_a_query_that_spans_two_fields_finds_nothing(world, ledger):
    # The stored text joins the fields with a separator: the end of the title and the start of the
    # description do not make a word.
    assert found(world, "接地车间") == set()


def test_a_text_holding_the_documents_own_separator_is_saved_and_found(world):
    hazard = world.listed(title="配电\x1e箱未接地", description="\x1e外壳\x1e")
    assert found(world, "配电") == {hazard.pk}
    assert found(world, "箱未接") == {hazard.pk}


def test_control_characters_are_ignored(world, ledger):
    assert found(world, "配电\x1f") == {ledger["a"], ledger["wb"]}
    assert found(world, "\x1f\x07 ") == found(world, "")


def test_search_never_finds_hazards_out_of_scope(world, ledger):
    assert found(world, "配电", world.hq_officer) == {ledger["a"]}
    assert found(world, "配电", world.wb_officer) == {ledger["wb"]}
    assert found(world, "配电", world.unit_demo) == set()  # a is not handed to the unit
    assert found(world, "dust", world.unit_demo) == {ledger["c"]}
    assert found(world, "配电柜", world.hq_officer) == set()
    assert api_found(world, "配电", world.wb_officer) == {ledger["wb"]}
    assert api_found(world, "配电", world.hq_officer) == {ledger["a"]}


def test_api_and_page_search(world, ledger):
    assert api_found(world, "消防通道", world.city_office) == {ledger["b"]}
    assert api_found(world, "电", world.api_client) == {ledger["a"], ledger["wb"]}
    client = Client()
    client.force_login(world.hq_officer)
    html = client.get("/hazards/", {"q": "消防通道"}).content.decode()
    assert "消防通道堵塞" in html and "配电箱未接地" not in html
    assert "共 1 条" in html


def row(pk: int) -> HazardSearch:
    return HazardSearch.objects.get(pk=pk)


def test_the_search_table_follows_register_edit_assign_rename_and_void(world):
    hazard = world.listed(title="配电箱未接地")
    assert found(world, "配电箱") == {hazard.pk}
    assert row(hazard.pk).county_id == world.hongqi.pk

    hazard = services.hazard_update(hazard=hazard, by=world.hq_officer, changes={"title": "叉车制动失灵"})
    assert found(world, "叉车") == {hazard.pk}
    assert found(world, "配电箱未接地") == set()  # the description still says 配电箱, the title no more
    assert "配电箱未接地" not in row(hazard.pk).haystack

    world.assigned(hazard)
    assert found(world, "红旗机械") == {hazard.pk}
    assert found(world, "李四") == {hazard.pk}

    world.hq_unit.name = "新乡市华泰机械有限公司"
    world.hq_unit.save()
    assert found(world, "红旗机械") == set()
    assert found(world, "华泰") == {hazard.pk}
    assert found(world, "htjx") == {hazard.pk}

    services.hazard_void(hazard=Hazard.objects.get(pk=hazard.pk), by=world.hq_supervisor, reason="重复登记")
    assert found(world, "叉车") == {hazard.pk}  # voided hazards stay findable, as in the list
    assert HazardSearch.objects.count() == Hazard.objects.count()


def test_a_bulk_insert_fills_the_search_table_in_one_statement(world):
    template = world.listed()
    rows = []
    for index in range(3):
        copy = Hazard.objects.get(pk=template.pk)
        copy.pk, copy.number, copy.title = None, f"YH-BULK-{index}", f"批量{index}号"
        rows.append(copy)
    created = Hazard.objects.bulk_create(rows)
    assert found(world, "批量") == {h.pk for h in created}


def test_a_history_batch_fills_the_search_rows_itself_and_the_trigger_resumes_after(world):
    """The batch inserts with the row trigger aside (``search.deferred``) and fills the rows set-based;
    the setting ends with the insert: a hazard registered afterwards, same transaction, has its row."""
    at = timezone.now() - datetime.timedelta(days=400)
    with services.recording_history():
        old = services.hazard_register(
            details=world.details(title="旧台账叉车", found_at=at), by=world.hq_officer, at=at
        )
    later = world.listed(title="新登记叉车")
    assert found(world, "叉车") == {old.pk, later.pk}
    assert found(world, "旧台账") == {old.pk}
    assert HazardSearch.objects.count() == Hazard.objects.count() == 2


def test_the_search_reads_the_gin_index(world, ledger):
    """``hazard_search_rows`` reads the GIN index for a 2- and a 4-character query over every county and
    month, although a table this small would be read whole by any plan left to the planner (as a
    million-row one was, for an OR of 481 lexemes without statistics). auto_explain shows the plan of
    the statement inside the function."""
    for q in ("配电", "消防通道"):
        sql, params = matching_ids(q, months=search.ledger_months())
        connection.ensure_connection()
        notices = connection.connection.notices
        del notices[:]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("LOAD 'auto_explain'")
            cursor.execute("SET LOCAL auto_explain.log_min_duration = 0")
            cursor.execute("SET LOCAL auto_explain.log_nested_statements = on")
            cursor.execute("SET LOCAL client_min_messages = log")
            cursor.execute(sql, params)
        plans = "".join(notices)
        assert "hazards_hazardsearch" in plans and "hazard_search_document" in plans, plans
        assert "Seq Scan on hazards_hazardsearch" not in plans, plans


def test_a_search_total_is_counted_up_to_its_own_cap(world, ledger, monkeypatch):
    client = Client()
    client.force_login(world.city_office)
    assert "共 2 条" in client.get("/hazards/", {"q": "配电"}).content.decode()
    monkeypatch.setattr("hazards.search.COUNT_CAP", 1)
    assert "共 1+ 条" in client.get("/hazards/", {"q": "配电"}).content.decode()
    # Scoped as the list is.
    client.force_login(world.hq_officer)
    assert "共 1 条" in client.get("/hazards/", {"q": "配电"}).content.decode()
    assert "共 0 条" in client.get("/hazards/", {"q": "配电", "status": "assigned"}).content.decode()
    client.force_login(world.unit_demo)
    assert "共 1 条" in client.get("/hazards/", {"q": "dust"}).content.decode()


@pytest.fixture
def a_year_of_forklifts(world):
    """Twelve hazards that say 叉车, one a month back over a year (two in the newest month), among others
    that do not."""
    template = world.listed(title="配电箱未接地")
    now = timezone.now()
    rows = []
    for index in range(14):
        copy = Hazard.objects.get(pk=template.pk)
        copy.pk, copy.number = None, f"YH-MONTHS-{index}"
        copy.title = f"叉车制动失灵{index}" if index % 7 else f"消防通道堵塞{index}"
        copy.found_at = now - datetime.timedelta(days=31 * max(index - 1, 0), hours=index)
        rows.append(copy)
    Hazard.objects.bulk_create(rows)
    return list(Hazard.objects.filter(title__contains="叉车").order_by("-found_at", "-id").values_list("pk", flat=True))


def walk(client, params: dict) -> list[int]:
    """Every page of the API's list, by its next links."""
    ids, url = [], "/api/v1/hazards/"
    while url:
        response = client.get(url, params)
        assert response.status_code == 200, response.content
        ids += [row["id"] for row in response.json()["results"]]
        url, params = response.json()["next"], {}
    return ids


def test_a_list_reads_its_pages_from_the_newest_months_and_misses_nothing(world, a_year_of_forklifts, monkeypatch):
    """With a window of 3 rows (the count's and the page's) each page is read from the fewest months that
    hold it, from the newest end or the oldest, and the pages walked are the whole ordered result."""
    monkeypatch.setattr("hazards.search.NEEDED", 3)
    monkeypatch.setattr("hazards.search.COUNT_CAP", 2)
    client = Client()
    client.force_login(world.city_office)
    newest_first = a_year_of_forklifts
    assert len(newest_first) == 12
    assert walk(client, {"q": "叉车", "page_size": 2}) == newest_first
    assert walk(client, {"q": "叉车", "page_size": 2, "ordering": "found_at"}) == newest_first[::-1]
    assert walk(client, {"q": "车制", "page_size": 1, "ordering": "found_at"}) == newest_first[::-1]
    assert set(walk(client, {"q": "叉车", "page_size": 2, "ordering": "deadline"})) == set(newest_first)

    with CaptureQueriesContext(connection) as captured:
        html = client.get("/hazards/", {"q": "叉车"}).content.decode()
    assert "共 2+ 条" in html
    months = [
        set(re.findall(r"'\d+:(\d{6})'", query["sql"])) for query in captured if "hazard_search_rows" in query["sql"]
    ]
    assert months and all(months)
    assert len(set().union(*months)) < len(search.ledger_months())  # never every month of the ledger

    # Two matches in all: the windows widen to the whole ledger and the count is exact.
    assert "共 2 条" in client.get("/hazards/", {"q": "消防通道"}).content.decode()
    # An export (no request) reads every match.
    assert found(world, "叉车") == set(newest_first)


def test_the_list_pages_keep_their_count_and_the_api_does_not_count(world, a_year_of_forklifts, monkeypatch):
    """A later page of the list page shows the count from the start; the API, which shows none, reads
    only the page's matches after its cursor (no window of the newest months again)."""
    monkeypatch.setattr("hazards.search.NEEDED", 3)
    monkeypatch.setattr("hazards.search.COUNT_CAP", 2)
    client = Client()
    client.force_login(world.city_office)
    seen, url, params = [], "/hazards/", {"q": "叉车", "page_size": 2}
    while url:
        html = client.get(url, params).content.decode()
        assert "共 2+ 条" in html
        seen += [int(pk) for pk in re.findall(r'data-hazard="(\d+)"', html)]
        link = re.search(r'href="([^"]+)" rel="next"', html)
        url, params = (unescape(link.group(1)), {}) if link else (None, {})
    assert seen == a_year_of_forklifts

    first = client.get("/api/v1/hazards/", {"q": "叉车", "page_size": 2}).json()
    with CaptureQueriesContext(connection) as captured:
        second = client.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == a_year_of_forklifts[2:4]
    read = [query["sql"] for query in captured if "hazard_search_rows" in query["sql"]]
    assert read and all("(found_at, hazard_id) <" in sql for sql in read), read


def test_a_list_of_the_whole_jurisdiction_takes_the_index_matches_unchecked(world, a_year_of_forklifts):
    """The counties' part of the index is exactly what a county officer or the city sees: with no other
    filter the matches are not read back to be checked (only the page's rows are read); with one, or for
    a unit contact (whose jurisdiction is not a set of counties), they are."""

    def reads(user, params: dict) -> tuple[list[int], int]:
        client = Client()
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            html = client.get("/hazards/", params).content.decode()
        by_id = [q["sql"] for q in captured if "hazards_hazard" in q["sql"] and "unnest(" in q["sql"]]
        return [int(pk) for pk in re.findall(r'data-hazard="(\d+)"', html)], len(by_id)

    for user in (world.city_office, world.hq_officer):
        expected = list(Hazard.objects.visible_to(user).filter(pk__in=a_year_of_forklifts).values_list("pk", flat=True))
        rows, statements = reads(user, {"q": "叉车"})
        assert sorted(rows) == sorted(expected) and expected and statements == 1
        rows, statements = reads(user, {"q": "叉车", "level": "major"})
        assert rows == [] and statements >= 2
    Hazard.objects.filter(pk__in=a_year_of_forklifts[:3]).update(responsible_unit=world.unit_demo.unit)
    rows, statements = reads(world.unit_demo, {"q": "叉车"})
    assert set(rows) == set(a_year_of_forklifts[:3]) and statements >= 2


def test_the_migrations_refill_keeps_every_hazard_findable(world, a_year_of_forklifts):
    """What hazards/0014_search_months runs on a ledger: the table emptied, filled again in one statement
    (with hazards written earlier in the same transaction) and the index rebuilt."""
    with connection.cursor() as cursor:
        search.install(cursor, backfill=True)
    assert HazardSearch.objects.count() == Hazard.objects.count()
    assert found(world, "叉车") == set(a_year_of_forklifts)


def test_months_of_the_ledger_span_year_ends(world, a_year_of_forklifts):
    months = search.ledger_months()
    assert len(months) == len(set(months)) >= 13
    assert months == sorted(months, reverse=True)
    assert all(1 <= int(m[4:]) <= 12 for m in months)


def test_pages_of_hazards_found_at_the_same_moment_miss_none(world, monkeypatch):
    """A 台账 import writes many hazards with one discovery time: a page's cursor then points inside a run
    of equal times, and the search reads the rows after it by (time, id), not by time alone."""
    monkeypatch.setattr("hazards.search.NEEDED", 3)
    monkeypatch.setattr("hazards.search.COUNT_CAP", 2)
    template = world.listed(title="叉车制动失灵")
    moment = timezone.now() - datetime.timedelta(days=40)
    rows = []
    for index in range(9):
        copy = Hazard.objects.get(pk=template.pk)
        copy.pk, copy.number, copy.found_at = None, f"YH-SAME-{index}", moment
        rows.append(copy)
    Hazard.objects.bulk_create(rows)
    expected = list(
        Hazard.objects.filter(title__contains="叉车").order_by("-found_at", "-id").values_list("pk", flat=True)
    )
    client = Client()
    client.force_login(world.city_office)
    assert walk(client, {"q": "叉车", "page_size": 2}) == expected
    assert walk(client, {"q": "叉车", "page_size": 2, "ordering": "found_at"}) == expected[::-1]


def test_a_county_search_reads_only_its_county_in_the_index(world, ledger):
    """The county is in every lexeme: a county officer's query names only the county's prefixes, and the
    city's every county's."""
    client = Client()
    for user, counties in (
        (world.hq_officer, {world.hongqi.pk}),
        (world.city_office, {world.hongqi.pk, world.weibin.pk}),
    ):
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            html = client.get("/hazards/", {"q": "配电"}).content.decode()
        named = {
            int(c) for q in captured if "hazard_search_rows" in q["sql"] for c in re.findall(r"'(\d+):\d{6}'", q["sql"])
        }
        assert counties <= named
        assert world.weibin.pk not in named or user == world.city_office
        assert ("配电柜门损坏" in html) == (user == world.city_office) and "配电箱未接地" in html
