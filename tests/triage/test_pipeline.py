"""From stored post to case: decisions with reasons, routing, clustering, review, persistence."""

import threading
from datetime import UTC, datetime, timedelta

from app.cases import operations
from app.cases.models import Case
from app.collectors.base import PostData
from app.collectors.models import Post
from app.collectors.operations import store_posts
from app.extensions import db
from app.triage.models import CaseSignature, TriageLabel
from app.triage.review import decide
from app.triage.tasks import triage_posts

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _store(*texts, source="facebook", start=0, minutes=0):
    posts = [
        PostData(
            source=source,
            external_id=f"{source}-{start + n}",
            text=text,
            posted_at=NOW + timedelta(minutes=minutes + n),
            likes=10,
        )
        for n, text in enumerate(texts)
    ]
    return store_posts(posts).new_ids


def _post(post_id):
    return db.session.get(Post, post_id)


def _cases():
    return db.session.scalars(db.select(Case).order_by(Case.id)).all()


def test_a_confident_local_post_opens_a_case_routed_to_its_ward(app_context, keyword_classifier):
    [post_id] = _store("Rác ùn ứ trước chợ ở phường Tân Thuận ba ngày chưa ai dọn")

    assert triage_posts([post_id]) == {"done": 1, "skipped": 0, "failed": 0}, _post(
        post_id
    ).triage_error

    post, [case] = _post(post_id), _cases()
    assert (post.is_relevant, post.category, post.case_id) == (True, "environment", case.id)
    assert post.place["wards"] == [{"code": "27478", "name": "Phường Tân Thuận"}]
    assert (case.category, case.unit.code, case.ward.code, case.source, case.status) == (
        "environment",
        "27478",
        "27478",
        "facebook",
        "received",
    )
    kinds = [e.kind for e in case.events]
    assert kinds == ["created", "triage", "routed"]
    routed = case.events[-1]
    assert routed.body.startswith("rule #") and "UBND phường/xã" in routed.body
    assert "category environment (90%)" in case.events[1].body


def test_a_city_wide_problem_goes_to_the_department(app_context, keyword_classifier):
    [post_id] = _store("Đường Nguyễn Hữu Cảnh ngập sâu sau mưa")

    triage_posts([post_id])

    assert _cases()[0].unit.code == "SO-XD"


def test_irrelevant_posts_make_no_case(app_context, keyword_classifier):
    [post_id] = _store("Hôm nay trời đẹp quá đi cà phê thôi")

    triage_posts([post_id])

    assert _post(post_id).is_relevant is False
    assert _cases() == []


def test_low_confidence_waits_for_a_person_whose_decision_is_kept(
    app_context, keyword_classifier, create_user
):
    [post_id] = _store("Có ai thấy rác ở đây không?")
    triage_posts([post_id])
    post = _post(post_id)
    assert post.needs_review and post.case_id is None
    assert "low confidence: waits for a person" in post.reasons

    analyst = create_user("analyst", unit_code="VP-UBND")
    decide(post, analyst, relevant=True, category="environment", ward_code="26743")

    label = db.session.scalar(db.select(TriageLabel))
    assert (label.category, label.ward_code, label.labelled_by_id) == (
        "environment",
        "26743",
        analyst.id,
    )
    case = db.session.get(Case, _post(post_id).case_id)
    assert (case.unit.code, case.ward.code) == ("26743", "26743")


def test_an_unsure_post_that_repeats_an_open_case_joins_it_with_the_reason(
    app_context, keyword_classifier
):
    ids = _store(
        "Rác ùn ứ trước chợ Tân Mỹ quận 7 ba ngày chưa ai thu gom",
        "Rác ùn ứ trước chợ Tân Mỹ quận 7 ba ngày rồi vẫn chưa ai thu gom?",  # unsure
        "Có ai thấy rác ở đây không?",  # unsure, and like no case
    )

    assert triage_posts(ids)["done"] == 3

    [case] = _cases()
    first, repeat, vague = (_post(i) for i in ids)
    assert (first.case_id, repeat.case_id, vague.case_id) == (case.id, case.id, None)
    assert case.mention_count == 2
    assert repeat.needs_review is False and repeat.category == "environment"
    assert "low confidence: waits for a person" not in repeat.reasons
    assert repeat.reasons[-1].startswith("unsure, but it repeats an open environment case")
    assert vague.needs_review and "low confidence: waits for a person" in vague.reasons
    assert sum(e.body.startswith("new mention") for e in case.events if e.kind == "triage") == 1


def test_an_unsure_post_joins_no_case_outside_its_two_best_guesses(app_context, keyword_classifier):
    # Opens an environment case; the same words later, with a flooding keyword first, make
    # an unsure post whose guesses are flooding and environment: it may join.
    ids = _store("Rác ùn ứ trước chợ Tân Mỹ quận 7 ba ngày chưa ai thu gom")
    triage_posts(ids)
    [guessing] = _store("Nước ngập, rác ùn ứ trước chợ Tân Mỹ quận 7 ba ngày chưa thu gom?",
                        start=1)  # fmt: skip
    triage_posts([guessing])
    assert _post(guessing).case_id == _cases()[0].id
    # Security and other are its guesses: the environment case it repeats is not among them.
    [elsewhere] = _store("Trộm ở chợ Tân Mỹ quận 7 ba ngày chưa ai thu gom?", start=2)
    triage_posts([elsewhere])
    assert _post(elsewhere).case_id is None and _post(elsewhere).needs_review


def test_mentions_of_the_same_problem_join_one_case(app_context, keyword_classifier):
    ids = _store(
        "Đường Nguyễn Hữu Cảnh ngập sâu sau mưa chiều nay",
        "Đường Nguyễn Hữu Cảnh ngập sâu sau mưa chiều nay luôn",
        "Hẻm 5 Gò Vấp ngập nước tới gối",
    )

    triage_posts(ids)

    cases = _cases()
    assert [c.mention_count for c in cases] == [2, 1]
    assert _post(ids[0]).case_id == _post(ids[1]).case_id == cases[0].id
    assert cases[0].events[-1].kind == "triage" and "new mention" in cases[0].events[-1].body


def test_outside_the_time_window_a_new_case_opens(app_context, keyword_classifier):
    first = _store("Đường Nguyễn Hữu Cảnh ngập sâu sau mưa")
    later = _store("Đường Nguyễn Hữu Cảnh ngập sâu sau mưa", start=10, minutes=60 * 80)

    triage_posts(first + later)

    assert len(_cases()) == 2


def test_a_post_about_a_recently_answered_problem_says_it_persists(
    app_context, keyword_classifier, create_user
):
    [first] = _store("Đường Nguyễn Hữu Cảnh ngập sâu sau mưa")
    triage_posts([first])
    case = _cases()[0]
    admin = create_user("admin", unit_code="UBND-TP")
    for step in ("verifying", "in_progress", "resolved"):
        operations.transition(case, step, admin, version=case.version)
    operations.transition(
        case, "responded", admin, version=case.version, public_response="Đã nạo vét cống."
    )

    [again] = _store("Đường Nguyễn Hữu Cảnh ngập sâu sau mưa", start=5, minutes=60 * 24 * 5)
    triage_posts([again])

    assert len(_cases()) == 1
    assert case.events[-1].kind == "problem_persists"
    assert case.status == "responded"


def test_two_workers_on_one_new_problem_make_one_case(app, app_context, keyword_classifier):
    ids = _store(
        "Cây đổ ngập đường Lê Lợi phường Bến Thành",
        "Cây đổ ngập đường Lê Lợi phường Bến Thành",
        source="zalo",
    )
    barrier = threading.Barrier(2)

    def work(post_id):
        with app.app_context():
            barrier.wait()
            triage_posts([post_id])
            db.session.remove()

    threads = [threading.Thread(target=work, args=(post_id,)) for post_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    db.session.expire_all()
    [case] = _cases()
    assert case.mention_count == 2


def test_triage_api_answers_without_storing(client, officer, api_token, keyword_classifier):
    headers = api_token(officer)

    one = client.post(
        "/api/v1/triage", json={"text": "Kẹt xe kinh khủng ở Q7 sáng nay"}, headers=headers
    )
    many = client.post(
        "/api/v1/triage", json={"texts": ["rác ở chợ Bến Thành", "đi chơi thôi"]}, headers=headers
    )
    too_many = client.post("/api/v1/triage", json={"texts": ["x"] * 257}, headers=headers)

    body = one.get_json()
    assert one.status_code == 200
    assert (body["relevant"], body["category"], body["model_version"]) == (
        True,
        "traffic",
        "test-keywords-1",
    )
    assert body["place"]["former_district"] == {"name": "Quận 7", "code": "778"}
    assert {"confidence", "priority", "sentiment", "flags", "reasons"} <= set(body)
    assert [item["relevant"] for item in many.get_json()["items"]] == [True, False]
    assert too_many.status_code == 422
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_review_decisions_export_as_training_examples(
    app_context, keyword_classifier, create_user, runner, tmp_path
):
    [post_id] = _store("Có ai thấy rác ở đây không?")
    triage_posts([post_id])
    decide(
        _post(post_id),
        create_user("analyst", unit_code="VP-UBND"),
        relevant=True,
        category="environment",
        ward_code=None,
    )

    result = runner.invoke(args=["triage", "export-labels", str(tmp_path / "labels.jsonl")])

    assert "1 labelled examples written" in result.output
    line = (tmp_path / "labels.jsonl").read_text(encoding="utf-8").strip()
    assert '"category": "environment"' in line and '"relevant": true' in line


def test_one_failing_post_does_not_lose_the_others(app_context, keyword_classifier, monkeypatch):
    real = operations.open_case_for_post

    def failing(data, **kwargs):
        if "Lê Lợi" in data["description"]:
            raise RuntimeError("the unit is gone")
        return real(data, **kwargs)

    monkeypatch.setattr(operations, "open_case_for_post", failing)
    ids = _store(
        "Đường Nguyễn Hữu Cảnh ngập sâu sau mưa chiều nay",
        "Cây đổ trên đường Lê Lợi phường Bến Thành, ổ gà khắp nơi",
        "Đường Nguyễn Hữu Cảnh ngập sâu sau mưa chiều nay, nước tới gối",
    )

    assert triage_posts(ids) == {"done": 2, "skipped": 0, "failed": 1}

    db.session.expire_all()
    good, bad, mention = (_post(i) for i in ids)
    assert (bad.triage_status, bad.case_id) == ("failed", None)
    assert bad.triage_error == "RuntimeError: the unit is gone"
    [case] = _cases()
    assert (good.triage_status, mention.triage_status) == ("done", "done")
    assert good.case_id == mention.case_id == case.id and case.mention_count == 2
    assert [e.kind for e in case.events] == ["created", "triage", "routed", "triage"]


def test_a_batch_joins_stored_cases_and_the_cases_it_opens(app_context, keyword_classifier):
    [first] = _store("Rác ùn ứ trước chợ Bến Thành ba ngày chưa ai dọn")
    triage_posts([first])
    ids = _store(
        "Rác ùn ứ trước chợ Bến Thành, ba ngày rồi chưa ai dọn",
        "Hẻm 5 Gò Vấp ngập nước tới gối sau mưa",
        "Hẻm 5 Gò Vấp ngập nước tới gối sau mưa, xe chết máy",
        "Rác ùn ứ trước chợ Bến Thành bốc mùi",
        source="zalo",
        start=1,
        minutes=5,
    )

    triage_posts(ids)

    market, alley = _cases()
    assert [_post(i).case_id for i in [first, *ids]] == [
        market.id,
        market.id,
        alley.id,
        alley.id,
        market.id,
    ]
    assert (market.mention_count, alley.mention_count) == (3, 2)
    assert [e.kind for e in market.events] == ["created", "triage", "routed", "triage", "triage"]
    signature = db.session.get(CaseSignature, market.id)
    assert (signature.post_count, signature.sources, signature.reach) == (
        3,
        {"facebook": 1, "zalo": 2},
        30,
    )
    assert signature.last_post_at == NOW + timedelta(minutes=8)


def test_a_problem_spreading_fast_across_batches_becomes_p2(
    app_context, keyword_classifier, monkeypatch
):
    monkeypatch.setattr("app.triage.tasks.MODEL_BATCH", 4)
    ids = _store(*[f"Đường Nguyễn Hữu Cảnh ngập sâu sau mưa chiều nay, lần {n}" for n in range(11)])

    triage_posts(ids)

    [case] = _cases()
    assert (case.mention_count, case.priority) == (11, "P2")
    [raised] = [e for e in case.events if e.kind == "updated"]
    assert (raised.from_value, raised.to_value) == ("P3", "P2")
    assert raised.body == "spreading fast: 10 mentions in the last hour"
    # It was the tenth mention that raised it: the eleventh finds it raised already.
    assert raised.data["field"] == "priority" and raised.id < case.events[-1].id


def test_the_same_problem_named_in_another_district_is_another_case(
    app_context, keyword_classifier
):
    ids = _store(
        "Rác chất đống trước chợ, ba ngày chưa ai thu gom, hôi quá",
        "Rác chất đống trước chợ Q7 ba ngày chưa ai thu gom, hôi quá",
        "Rác chất đống trước chợ quận 1, ba ngày chưa ai thu gom, hôi quá",
        "Rác chất đống trước chợ quận 7, ba ngày chưa ai thu gom",
    )

    triage_posts(ids)

    # The first names no place, so the second joins it, and the case is then in Quận 7.
    seventh, first = _cases()
    assert [_post(i).case_id for i in ids] == [seventh.id, seventh.id, first.id, seventh.id]
    assert (seventh.mention_count, first.mention_count) == (3, 1)
    assert db.session.get(CaseSignature, seventh.id).former_district_code == "778"


def test_cases_opened_together_get_their_own_sla_clocks(app_context, keyword_classifier):
    from app.cases.sla import maths as sla
    from app.cases.sla.clocks import _calendar
    from app.cases.sla.policies import load_default_sla

    load_default_sla()
    ids = _store(
        "Hẻm 5 Gò Vấp ngập nước tới gối sau mưa",
        "Kẹt xe kinh khủng ở vòng xoay Mỹ Thủy sáng nay",
        "Cây đổ trên đường Lê Lợi, đèn đường tắt hết",
    )

    triage_posts(ids)

    cases = _cases()
    assert len(cases) == 3
    for case in cases:
        assert sorted(c.metric for c in case.sla_clocks) == ["resolve", "respond", "verify"]
        for clock in case.sla_clocks:
            expected = sla.due_at(
                clock.started_at, clock.target_seconds, clock.counting, _calendar(clock)
            )
            assert (clock.state, clock.due_at) == ("running", expected)
        assert case.next_due_at == min(c.due_at for c in case.sla_clocks)
    assert {c.id for c in cases[0].sla_clocks}.isdisjoint(c.id for c in cases[1].sla_clocks)


def test_when_the_model_fails_the_posts_fail_and_are_triaged_later(
    app_context, keyword_classifier, monkeypatch
):
    ids = _store("Đường Nguyễn Hữu Cảnh ngập sâu sau mưa", "Rác ùn ứ trước chợ Bến Thành")
    predict = keyword_classifier.predict
    monkeypatch.setattr(keyword_classifier, "predict", lambda texts, batch_size=32: 1 / 0)

    assert triage_posts(ids) == {"done": 0, "skipped": 0, "failed": 2}
    db.session.expire_all()
    assert [(p.triage_status, p.triage_attempts, p.triage_error) for p in map(_post, ids)] == [
        ("failed", 1, "ZeroDivisionError: division by zero")
    ] * 2
    assert _cases() == []

    monkeypatch.setattr(keyword_classifier, "predict", predict)
    assert triage_posts(ids) == {"done": 2, "skipped": 0, "failed": 0}
    db.session.expire_all()
    assert [(p.triage_status, p.triage_attempts, p.triage_error) for p in map(_post, ids)] == [
        ("done", 2, None)
    ] * 2
    assert len(_cases()) == 2


def test_a_post_about_a_place_outside_the_city_is_not_a_case(app_context, keyword_classifier):
    [post_id] = _store("Hà Nội: rác ùn ứ khắp phố Hoàn Kiếm ba ngày chưa ai dọn")

    triage_posts([post_id])

    post = _post(post_id)
    assert (post.is_relevant, post.needs_review, post.case_id) == (False, False, None)
    assert any("Hà Nội" in reason and "outside the city" in reason for reason in post.reasons)
    assert _cases() == []


def test_a_national_sources_post_needs_a_place_in_the_city(app_context, keyword_classifier):
    [national] = _store("Rác ùn ứ ba ngày chưa ai dọn, dân bức xúc", source="rss:vnexpress")
    [placed] = _store("Rác ùn ứ ở chợ Tân Thuận, quận 7, ba ngày chưa ai dọn", source="rss:tuoitre")
    [local] = _store("Rác ùn ứ đầu hẻm ba ngày chưa ai dọn", source="facebook")

    triage_posts([national, placed, local])

    assert _post(national).is_relevant is False
    assert "national source and no place in the city" in _post(national).reasons
    assert _post(placed).case_id is not None and _post(local).case_id is not None


def test_the_scope_rules_weigh_named_places():
    from app.triage.places.scope import NATIONAL_NO_PLACE_REASON, outside_reason

    # A street of the city with a namesake in Hà Nội does not outweigh Hà Nội.
    hanoi = "Nhiều chợ cóc ở Hà Nội bị giải tỏa trên phố Hồ Tùng Mậu, Hàm Nghi"
    assert outside_reason(hanoi, "national") == "about Hà Nội, outside the city"
    # The former provinces are the city; the city's chairman names the city.
    assert outside_reason("Bình Dương: sập giàn giáo, 4 người thương vong", "national") is None
    assert outside_reason("Chủ tịch TP HCM yêu cầu đình chỉ nhà máy rác", "national") is None
    assert outside_reason("Tư tưởng Hồ Chí Minh soi đường", "national") == NATIONAL_NO_PLACE_REASON
    # A named place in the city beats a namesake elsewhere; a local post needs no place.
    assert (
        outside_reason("Cháy nhà ở phường Tân Định, quận 1; người nhà ở Đà Nẵng", "local") is None
    )
    assert outside_reason("Cháy nhà trong hẻm, khói mù mịt", "local") is None
