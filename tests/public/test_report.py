"""Filing a report on the public form: tracking code, pipeline, spam defences, photos, privacy."""

import io

from PIL import Image

from app.collectors.models import Post
from app.extensions import db
from app.triage.tasks import triage_posts
from app.units.models import Unit
from tests.public.conftest import PHONE, assert_no_phone


def _code_from(response) -> str:
    post = db.session.scalars(db.select(Post).order_by(Post.id.desc())).first()
    assert post.tracking_code in response.get_data(as_text=True)
    return post.tracking_code


def test_filing_returns_a_tracking_code_and_stores_a_citizen_post(file_report):
    response = file_report(submission_id="form-1")
    assert response.status_code == 200
    code = _code_from(response)
    post = db.session.scalar(db.select(Post).where(Post.tracking_code == code))
    assert (post.source, post.channel) == ("citizen", "direct")
    assert post.place_hints["place_name"] == "Bình Thạnh"


def test_a_double_submit_files_one_report(file_report):
    file_report(submission_id="same")
    file_report(submission_id="same")
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 1


def test_a_chosen_ward_is_passed_as_the_place(file_report):
    ward = db.session.scalars(db.select(Unit).where(Unit.kind == "ward").order_by(Unit.id)).first()
    file_report(place="", ward=ward.code, submission_id="w")
    post = db.session.scalars(db.select(Post)).one()
    assert post.place_hints["place_name"] == ward.name_vi


def test_an_unknown_ward_is_refused(file_report):
    assert file_report(ward="no-such-ward").status_code == 422


def test_the_report_becomes_a_case_with_the_same_code(client, file_report, keyword_classifier):
    code = _code_from(file_report(submission_id="c"))
    assert "đang được phân loại" in client.get(f"/public/cases/{code}").get_data(as_text=True)
    post = db.session.scalar(db.select(Post).where(Post.tracking_code == code))
    triage_posts([post.id])
    db.session.expire_all()
    assert post.case_id is not None
    page = client.get(f"/public/cases/{code}").get_data(as_text=True)
    assert "Ngập nước sâu" in page


def test_the_honeypot_holds_back_bots(file_report):
    response = file_report(website="http://spam.example")
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_too_many_reports_from_one_address_are_refused(app, file_report, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_REPORTS_PER_HOUR", 2)
    assert file_report(submission_id="1").status_code == 200
    assert file_report(submission_id="2").status_code == 200
    assert file_report(submission_id="3").status_code == 429
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 2


def test_an_empty_report_is_refused(file_report):
    assert file_report(text="  ").status_code == 422


def _photo_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(0x8825)[2] = (10.0, 46.0, 30.0)  # GPSLatitude
    exif.get_ifd(0x8825)[1] = "N"
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    return output.getvalue()


def test_photos_are_stored_without_exif(file_report, uploads):
    original = _photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    file_report(photo=(io.BytesIO(original), "photo.jpg"), submission_id="p")
    stored = list(uploads.iterdir())
    assert len(stored) == 1
    with Image.open(stored[0]) as image:
        assert not image.getexif()
        assert "exif" not in image.info
        assert image.size == (64, 48)
    post = db.session.scalars(db.select(Post)).one()
    assert post.media_urls == [f"/public/media/{stored[0].name}"]


def test_a_file_that_is_no_photo_is_refused(file_report, uploads):
    response = file_report(photo=(io.BytesIO(b"not an image"), "x.jpg"))
    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_photos_are_for_staff_only(client, file_report, uploads):
    file_report(photo=(io.BytesIO(_photo_with_gps()), "photo.jpg"), submission_id="p")
    name = next(uploads.iterdir()).name
    assert client.get(f"/public/media/{name}").status_code in (302, 401)


def test_contact_is_kept_only_with_consent(file_report):
    file_report(contact_name="Nguyễn Văn A", contact_phone=PHONE, submission_id="no")
    file_report(
        contact_name="Nguyễn Văn B", contact_phone=PHONE, contact_consent="1", submission_id="yes"
    )
    posts = {p.external_id: p for p in db.session.scalars(db.select(Post))}
    assert posts["no"].contact is None
    assert posts["yes"].contact == {"name": "Nguyễn Văn B", "phone": PHONE}


def test_a_phone_typed_into_a_report_reaches_no_public_page_or_api(
    client, file_report, keyword_classifier, create_user, api_token
):
    text = f"Ngập nước sâu trước nhà, gọi tôi {PHONE} hoặc 090 123 4567, email a@b.vn"
    code = _code_from(
        file_report(
            text=text,
            contact_name="Trần Thị C",
            contact_phone=PHONE,
            contact_email="c@example.vn",
            contact_consent="1",
            submission_id="leak",
        )
    )
    post = db.session.scalar(db.select(Post).where(Post.tracking_code == code))
    triage_posts([post.id])
    db.session.expire_all()
    from app.cases import operations
    from app.cases.models import Case

    case = db.session.get(Case, post.case_id)
    admin = create_user("admin", unit_code="UBND-TP")
    for step in ("verifying", "in_progress", "resolved"):
        operations.transition(case, step, admin, version=case.version)
    operations.transition(
        case,
        "responded",
        admin,
        version=case.version,
        public_response=f"Đã xử lý; chúng tôi đã gọi lại số {PHONE}.",
    )
    answers = [
        client.get(f"/public/cases/{code}"),
        client.get(f"/public/cases/{code}?lang=en"),
        client.get("/public/browse"),
        client.get("/public/units"),
        client.get("/open311/v2/requests.json"),
        client.get("/open311/v2/requests.xml"),
        client.get(f"/open311/v2/requests/{code}.json"),
        client.get(f"/open311/v2/requests/{code}.xml"),
        client.get(f"/open311/v2/tokens/{code}.json"),
    ]
    for response in answers:
        assert response.status_code == 200, response.request.path
        body = response.get_data(as_text=True)
        assert_no_phone(body)
        for secret in ("Trần Thị C", "c@example.vn", "a@b.vn"):
            assert secret not in body
    assert "Đã xử lý" in answers[0].get_data(as_text=True)
    assert case.code == code
