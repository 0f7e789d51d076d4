"""Draw the real public texts that were labelled for triage (data/triage/real/).

    python scripts/draw_real_texts.py MIRROR_ROOT OUT.jsonl

MIRROR_ROOT holds git snapshots of the source repositories as
``<owner>+<name>/repo`` (bare). The draw is reproducible: it reads each source
at the commit recorded in `SOURCES`, keeps the texts that pass the filters of
its source and takes a seeded sample. Every row records where it came from
(repository, commit, path, row) and the licence, and a ``doc`` key: the source
document a text belongs to, so an article and its comments never straddle two
splits. The labels themselves were added afterwards by reading each text
(DATASHEET.md says how); this script only chooses what was read.
"""

import csv
import io
import json
import random
import re
import subprocess
import sys
from pathlib import Path

SOURCES = {
    "vietnews": ("ThanhChinhBK/vietnews", "a20d9b7f5d37b95f39f28f08999092f9fa400983", "unstated"),
    "reintel": (
        "MarkusKhoa/VLSP2020-ReINTEL",
        "d60017856bf334fc328113f5af6bab4febba3fc7",
        "unstated (VLSP 2020 shared task data)",
    ),
    "vihatespeech2025": (
        "ThienIT84/vietnamese-hate-speech-dataset",
        "4bf1dca2ec859690e8518ef2e96eb818dddf54ed",
        "MIT",
    ),
    "vlsp2019": (
        "huynhduchuydp36/VLSP2019-SHARED-Task-Hate-Speech-Detection-on-Social-Networks-Using-Bi-Lstm",
        "22d02093025312c37ef5e8c80cc093eddb8b5318",
        "unstated (VLSP 2019 shared task data)",
    ),
    "vnexpress_comments": (
        "duyet/vnexpress-comments-crawler",
        "c1692b86dcfc4e9f5bf6d32903485310732341e7",
        "MIT",
    ),
    "vilexnorm": (
        "ngxtnhi/ViLexNorm",
        "1070c6b9b00830fad278f48d9797df9ae1c942ac",
        "CC BY-NC-SA 4.0",
    ),
    "news24h": (
        "leduchuy20/crawl_news",
        "8d0b1830ee3de4acdb5de50fc5491b1ce611957e",
        "unstated (public news articles)",
    ),
}
#: Blobs of crawl_news that are no longer in its newest tree (read from history).
NEWS24H_BLOB = "4abdd0d95f301a5beeff7935d9119554102bd41b"
RSS_BACKUP_BLOB = "8a463090c7ccd0ef5b5f67861fc73770c12780c4"
#: Earlier versions of the same 24h file (other days' articles), for the sixth draw.
NEWS24H_OTHER_BLOBS = (
    "1194325d448bf204a32d20417e8bcc20c59dbb1a",
    "408245e086be5889db41d4442c459bb19227a764",
    "89cd32680f6ada7647173fd327d9e8acffafcaad",
    "9fc2e46ee33dfbdf7cdc7128e6a8e5d3aa8562d5",
    "a46e3a86a5a781f8521fb2c8f17bec7517d14935",
    "e0f1de3cc9c960ad6f603ce5f156a55a41dfcbc0",
)

CITY = re.compile(
    r"tp\.? ?hcm|tphcm|hồ chí minh|sài gòn|saigon|\bquận \d{1,2}\b|\bq\.? ?\d{1,2}\b|"
    r"bình thạnh|gò vấp|thủ đức|tân bình|tân phú|phú nhuận|bình tân|củ chi|hóc môn|"
    r"bình chánh|nhà bè|cần giờ|bình dương|vũng tàu|bà rịa|thủ dầu một|dĩ an|thuận an|"
    r"bến cát|tân uyên|côn đảo|long hải|phú mỹ",
    re.IGNORECASE,
)
ELSEWHERE = re.compile(
    r"hà nội|đà nẵng|hải phòng|nghệ an|thanh hóa|thanh hoá|quảng ninh|đồng nai|long an|"
    r"cần thơ|khánh hòa|lâm đồng|đắk lắk|gia lai|quảng nam|quảng ngãi|bình định|huế|"
    r"hà tĩnh|nam định|thái bình|bắc ninh|hưng yên|vĩnh phúc|tây ninh|an giang|kiên giang|"
    r"cà mau|bạc liêu|sóc trăng|tiền giang|bến tre|trà vinh|vĩnh long|đồng tháp|"
    r"trung quốc|mỹ|nhật bản|hàn quốc|nga|ukraine|thái lan|campuchia|lào|châu âu",
    re.IGNORECASE,
)
PROBLEM = re.compile(
    r"ngập|triều cường|kẹt xe|ùn tắc|tai nạn|tông|đâm|lật|cháy|nổ|rác|ô nhiễm|hôi thối|"
    r"tiếng ồn|lấn chiếm|vỉa hè|xây dựng trái phép|không phép|trộm|cướp|giật|lừa đảo|"
    r"đánh nhau|hỗn chiến|đua xe|ma túy|ma tuý|bắt giữ|ổ gà|sụt lún|hố|cây đổ|gãy|"
    r"mất điện|cúp điện|mất nước|cầu|đèn|bệnh viện|ngộ độc|sốt xuất huyết|dịch|thuốc|"
    r"trường|học sinh|học phí|giáo viên|hồ sơ|sổ đỏ|sổ hồng|giấy phép|thủ tục|cán bộ|"
    r"phường|xã|buôn lậu|hàng giả|cưỡng chế|giải tỏa|chết|tử vong|thương vong|bị thương",
    re.IGNORECASE,
)


def git_show(mirror: Path, repo: str, spec: str) -> str:
    path = mirror / repo.replace("/", "+") / "repo"
    return subprocess.run(
        ["git", "-C", str(path), "cat-file", "-p", spec] if ":" not in spec else
        ["git", "-C", str(path), "show", spec],
        check=True, capture_output=True,
    ).stdout.decode("utf-8", "replace")  # fmt: skip


def git_ls(mirror: Path, repo: str, commit: str, folder: str) -> list[str]:
    path = mirror / repo.replace("/", "+") / "repo"
    out = subprocess.run(
        ["git", "-C", str(path), "ls-tree", "--name-only", commit, folder + "/"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return out.split()


def detokenize(text: str) -> str:
    """vietnews joins a word's syllables with '_' and spaces out punctuation."""
    text = text.replace("_", " ")
    text = re.sub(r" ([,.;:!?)%…])", r"\1", text)
    text = re.sub(r"([(]) ", r"\1", text)
    text = re.sub(r"' ([^']*?) '", r"'\1'", text)
    text = re.sub(r'" ([^"]*?) "', r'"\1"', text)
    return re.sub(r"\s+", " ", text).strip()


def clip(text: str, limit: int = 420) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[: end + 1] if end > limit // 2 else cut.rsplit(" ", 1)[0] + "…"


def row(source: str, path: str, where: str, text: str, style: str, doc: str, **extra) -> dict:
    repo, commit, licence = SOURCES[source]
    return {
        "text": text,
        "style": style,
        "doc": f"{source}:{doc}",
        "source": {"name": source, "repo": repo, "commit": commit, "path": path, "row": where},
        "licence": licence,
        **extra,
    }


def draw_vietnews(mirror: Path, rng: random.Random) -> list[dict]:
    repo, commit, _ = SOURCES["vietnews"]
    files = git_ls(mirror, repo, commit, "data/test_tokenized")
    files += git_ls(mirror, repo, commit, "data/val_tokenized")
    rng.shuffle(files)
    pools = {"city_problem": [], "city": [], "elsewhere_problem": [], "any": []}
    quota = {"city_problem": 1250, "city": 420, "elsewhere_problem": 480, "any": 250}
    for name in files:
        if all(len(pools[k]) >= quota[k] for k in quota):
            break
        raw = git_show(mirror, repo, f"{commit}:{name}")
        parts = [p.strip() for p in raw.split("\n\n") if p.strip()]
        if len(parts) < 2:
            continue
        title, lead = detokenize(parts[0]), detokenize(parts[1])
        head = f"{title}\n{lead}"
        city, problem = CITY.search(head), PROBLEM.search(head)
        kind = (
            "city_problem" if city and problem
            else "city" if city
            else "elsewhere_problem" if problem and ELSEWHERE.search(head)
            else "any"
        )  # fmt: skip
        if len(pools[kind]) < quota[kind]:
            text = f"{title}\n{clip(lead, 360)}"
            pools[kind].append(row("vietnews", name, "whole file", text, "press", name))
    return [r for pool in pools.values() for r in pool]


#: The second draw (revision 4b): city articles per category that the first draw had
#: too few of, found by words of the category in the title.
CATEGORY_WORDS = {
    "flooding": r"ngập|triều cường|thoát nước|cống|mưa lớn|lũ",
    "health": r"ngộ độc|bệnh viện|sốt xuất huyết|dịch|thuốc|thực phẩm|tay chân miệng|sởi|bác sĩ|y tế",
    "infrastructure": r"ổ gà|sụt lún|hố|cây xanh|cây đổ|mất điện|cúp điện|mất nước|đèn|cầu|hư hỏng|xuống cấp|sập|vỡ ống",
    "urban_order": r"lấn chiếm|vỉa hè|trái phép|không phép|hàng rong|quảng cáo|xây dựng sai|cưỡng chế",
    "administrative": r"sổ hồng|sổ đỏ|thủ tục|hồ sơ|cấp phép|giải tỏa|bồi thường|cán bộ|dịch vụ công|giấy tờ|tái định cư",
    "education": r"trường|học sinh|học phí|giáo viên|tuyển sinh|lớp 10|mầm non|sinh viên",
    "environment": r"rác|ô nhiễm|kênh|hôi thối|tiếng ồn|karaoke|khói|bụi|xả thải",
    "other": r"hàng giả|hàng nhái|quản lý thị trường|công viên|nghĩa trang|chó|nhà vệ sinh|tên đường|trợ cấp",
}


def _blobs_in_pack_order(path: Path, wanted: dict[str, str]):
    """(path, text) of the wanted blobs ({sha: path}), read in pack order (fast)."""
    reader = subprocess.Popen(
        ["git", "-C", str(path), "cat-file", "--batch-all-objects", "--batch", "--unordered"],
        stdout=subprocess.PIPE,
    )
    out = reader.stdout
    while header := out.readline():
        sha, kind, size = header.split()
        body = out.read(int(size) + 1)[:-1]
        if kind == b"blob" and sha.decode() in wanted:
            yield wanted[sha.decode()], body.decode("utf-8", "replace")
    reader.wait()


#: The third draw (revision 4c): the three classes still under 80 relevant texts.
THIRD_WORDS = {
    "other": r"hàng giả|hàng nhái|hàng lậu|quản lý thị trường|công viên|nghĩa trang|chó|"
    r"nhà vệ sinh công cộng|tên đường|trợ cấp|vô gia cư|ăn xin|vé số|pháo hoa|khỉ|rắn|"
    r"hỏa táng|tang lễ|lễ hội|chen lấn|động vật",
    "infrastructure": r"ổ gà|sụt lún|hố tử thần|cây xanh|cây đổ|ngã đổ|gãy đổ|mất điện|cúp điện|"
    r"mất nước|cúp nước|thiếu nước|đèn đường|cầu yếu|xuống cấp|hư hỏng|vỡ ống|bể ống|"
    r"nước sạch|lún|sạt lở|chung cư cũ|mặt đường",
    "education": r"trường|học sinh|học phí|giáo viên|tuyển sinh|lớp 10|mầm non|bạo hành trẻ|"
    r"thiếu lớp|sĩ số|phụ huynh|lạm thu",
}


#: The fourth draw: `other` was still under 80.
FOURTH_WORDS = {
    "other": r"chó thả rông|chó cắn|chó dữ|bắt chó|khỉ|rắn|cá sấu|trăn|động vật hoang dã|"
    r"nghĩa trang|nghĩa địa|mộ|công viên|nhà vệ sinh|hàng giả|hàng nhái|quản lý thị trường|"
    r"vé số|ăn xin|chen lấn|giẫm đạp|người vô gia cư|lang thang|đổi tên đường|biển số nhà|"
    r"nhà tình thương|hộ nghèo|cứu trợ|chợ tự phát|hội chợ|cúp nước",
}
#: The fifth draw: `other` still under 80; the same kind of words (without the short ones
#: that matched common syllables, "mộ" in "một"), in the title or the lead.
FIFTH_WORDS = {
    "other": r"chó thả rông|chó cắn|chó dữ|bắt chó|cá sấu|động vật hoang dã|"
    r"nghĩa trang|nghĩa địa|công viên|nhà vệ sinh|hàng giả|hàng nhái|quản lý thị trường|"
    r"vé số|ăn xin|chen lấn|giẫm đạp|người vô gia cư|lang thang|đổi tên đường|biển số nhà|"
    r"nhà tình thương|hộ nghèo|cứu trợ|chợ tự phát|hội chợ|hàng lậu|bảo trợ xã hội",
}


#: The sixth draw: trade and price problems the city's market management deals with.
SIXTH_WORDS = {
    "other": r"xăng giả|gian lận thương mại|kém chất lượng|hàng trôi nổi|chặt chém|"
    r"găm hàng|neo đơn|trẻ lang thang|thu phí trái|giá cắt cổ|nâng giá|hàng không rõ nguồn gốc",
}


#: The seventh draw: `other` still under 80; counterfeit goods and market management,
#: overcharging, begging, animals, parking fees, public land and apartment management.
SEVENTH_WORDS = {
    "other": r"hàng giả|hàng nhái|quản lý thị trường|giả nhãn hiệu|nhãn mác|đội lốt|hàng hiệu|"
    r"không rõ xuất xứ|không rõ nguồn gốc|không nguồn gốc|hàng cấm|khaisilk|chặt chém|"
    r"bắt chẹt|hét giá|cò vé|vé chợ đen|thẻ giả|ăn xin|xin tiền|khất thực|chó thả rông|"
    r"chó cắn|bắt chó|ong đốt|cân điêu|cây xăng|xe dù|bến cóc|giữ xe|đất công|bỏ hoang|"
    r"sai mục đích|phí bảo trì|ban quản trị|tiểu thương|chợ tạm|bitcoin|tiền ảo|ngoại tệ|vé số",
}


#: Every city article (the random part of draws 10 to 12).
ANY_ARTICLE = {"any": r"."}
#: The tenth draw (revision 8): more city articles for the classes the model still confuses
#: (`other`, administrative, urban_order) and a random sample of the rest, so that the
#: model learns more of what separates a current problem from plans, verdicts and news.
TENTH_WORDS = {
    "other": "|".join(
        (
            SEVENTH_WORDS["other"],
            FIFTH_WORDS["other"],
            SIXTH_WORDS["other"],
            r"nhà ở xã hội|chung cư|mái ấm|đa cấp|bán hàng trái phép|tàu du lịch|giá vé",
        )
    ),
    "administrative": r"cán bộ|thủ tục|hồ sơ|sổ hồng|sổ đỏ|cấp phép|giấy phép|bồi thường|"
    r"giải toả|giải tỏa|tiếp dân|khiếu nại|tố cáo|sai phạm|kỷ luật|thanh tra",
    "urban_order": CATEGORY_WORDS["urban_order"],
    **ANY_ARTICLE,
}
TENTH_COUNTS = {"other": 250, "administrative": 120, "urban_order": 100, "any": 350}
#: The eleventh draw (revision 9): city articles at random, the population most of the
#: model's errors are in (a current problem, or a plan, verdict or good news of the city).
ELEVENTH_COUNTS = {"any": 1000}
#: The twelfth draw (revision 10): reader comments under VnExpress crime articles not
#: drawn before, and more city articles at random.
TWELFTH_COUNTS = {"vnexpress_comments": 500, "vietnews": 500}
#: The thirteenth draw (revision 11) is a pool, not a sample: texts of every source not drawn
#: before, at most this many per source, whose document the split puts in train.
#: `scripts/pick_uncertain.py` then keeps those the model of the day is least sure of.
THIRTEENTH_POOL = 6000
#: A count larger than any source: a draw function given it returns all its texts.
EVERYTHING = 1_000_000


def draw_vietnews_by_category(
    mirror: Path,
    rng: random.Random,
    per_category: int | dict[str, int],
    words: dict[str, str] = CATEGORY_WORDS,
    folders: tuple[str, ...] = ("data/train_tokenized/",),
    exclude: set[str] = frozenset(),
    in_lead: bool = False,
) -> list[dict]:
    """City articles whose title has a word of a category, `per_category` each (or as
    many as `per_category` gives for it, where it is a dict), from
    `folders` (the first draw read the test and validation folders), leaving out the
    files in `exclude`."""
    repo, commit, _ = SOURCES["vietnews"]
    path = mirror / repo.replace("/", "+") / "repo"
    listing = subprocess.run(
        ["git", "-C", str(path), "ls-tree", commit, *folders],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    wanted = {
        line.split()[2]: line.split("\t")[1]
        for line in listing.splitlines()
        if line.split("\t")[1] not in exclude
    }
    patterns = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in words.items()}
    found = {name: [] for name in patterns}
    for name, raw in _blobs_in_pack_order(path, wanted):
        parts = [p.strip() for p in raw.split("\n\n") if p.strip()]
        if len(parts) < 2:
            continue
        title, lead = detokenize(parts[0]), detokenize(parts[1])
        if not CITY.search(f"{title}\n{lead}"):
            continue
        for category, pattern in patterns.items():
            if pattern.search(f"{title}\n{lead}" if in_lead else title):
                text = f"{title}\n{clip(lead, 360)}"
                found[category].append(row("vietnews", name, "whole file", text, "press", name))
                break
    chosen = []
    for category in patterns:
        pool = sorted(found[category], key=lambda record: record["source"]["path"])
        rng.shuffle(pool)
        count = per_category[category] if isinstance(per_category, dict) else per_category
        chosen.extend(pool[:count])
    return chosen


def draw_news24h(mirror: Path, rng: random.Random, blob: str, source_path: str, count: int):
    repo = SOURCES["news24h"][0]
    records = list(csv.DictReader(io.StringIO(git_show(mirror, repo, blob))))
    rng.shuffle(records)
    out = []
    for record in records:
        body = re.sub(
            r"^Lưu bài viết thành công.*?Tin bài đã lưu\s*", "", record.get("content.text") or ""
        )
        body = re.sub(
            r"^\S*Ảnh: [^.]*?(?=[A-ZĐ][a-zàáạảãâầấậẩẫăằắặẳẵ]* \d|Ngày|Sáng|Chiều|Tối|Trưa|Rạng)",
            "",
            body,
        )
        if not record.get("title") or len(body) < 80:
            continue
        text = f"{record['title'].strip()}\n{clip(body, 320)}"
        out.append(row("news24h", source_path, f"id {record['id']} (blob {blob[:12]})", text,
                       "press", record["id"], url=record.get("url")))  # fmt: skip
        if len(out) >= count:
            break
    return out


def draw_reintel(mirror: Path, rng: random.Random, count: int) -> list[dict]:
    repo, commit, _ = SOURCES["reintel"]
    out = []
    for path in ("dataset/public_test.csv", "dataset/final_private_test.csv"):
        for record in csv.DictReader(io.StringIO(git_show(mirror, repo, f"{commit}:{path}"))):
            text = (record.get("post_message") or "").strip()
            if len(text) >= 20:
                out.append(row("reintel", path, f"id {record['id']}", clip(text, 500), "facebook",
                               f"{path}:{record['id']}"))  # fmt: skip
    problem = [r for r in out if PROBLEM.search(r["text"])]
    rest = [r for r in out if not PROBLEM.search(r["text"])]
    rng.shuffle(problem)
    rng.shuffle(rest)
    return problem[: count * 2 // 3] + rest[: count - count * 2 // 3]


def draw_hatespeech2025(mirror: Path, rng: random.Random, count: int) -> list[dict]:
    repo, commit, _ = SOURCES["vihatespeech2025"]
    path = "data/final/final_dataset_relaxed_fixed.csv"
    text = git_show(mirror, repo, f"{commit}:{path}").lstrip("\ufeff")
    out, seen = [], set()
    for number, record in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        post, _, comment = (record.get("input_text") or "").partition("</s>")
        comment = comment.strip()
        if len(comment) < 15 or comment in seen or "<person>" in comment:
            continue
        seen.add(comment)
        out.append(row("vihatespeech2025", path, f"line {number}", comment, "comment",
                       post.strip()[:80], parent=clip(post.strip(), 200)))  # fmt: skip
    rng.shuffle(out)
    return out[:count]


def draw_vlsp2019(mirror: Path, rng: random.Random, count: int) -> list[dict]:
    repo, commit, _ = SOURCES["vlsp2019"]
    path = "Data/Train_original.csv"
    out = []
    for record in csv.DictReader(io.StringIO(git_show(mirror, repo, f"{commit}:{path}"))):
        text = (record.get("free_text") or "").strip()
        if 25 <= len(text) <= 600:
            out.append(row("vlsp2019", path, f"id {record['id']}", text, "facebook", record["id"]))
    problem = [r for r in out if PROBLEM.search(r["text"])]
    rest = [r for r in out if not PROBLEM.search(r["text"])]
    rng.shuffle(problem)
    rng.shuffle(rest)
    return problem[: count // 2] + rest[: count - count // 2]


def draw_vnexpress_comments(mirror: Path, rng: random.Random, count: int) -> list[dict]:
    repo, commit, _ = SOURCES["vnexpress_comments"]
    path = "comments.csv"
    data = git_show(mirror, repo, f"{commit}:{path}")
    out = []
    reader = csv.DictReader(io.StringIO(data), skipinitialspace=True)
    for record in reader:
        text = (record.get("content") or "").strip()
        if len(text) >= 20:
            out.append(row("vnexpress_comments", path, f"comment_id {record['comment_id']}", text,
                           "comment", record["article_id"]))  # fmt: skip
    rng.shuffle(out)
    return out[:count]


def draw_vilexnorm(mirror: Path, rng: random.Random, count: int) -> list[dict]:
    """Social-media comments (ViLexNorm's `original` column): half with a word of a
    problem, most of them used in another sense ("trộm vía", "cướp trái tim"), half
    drawn at random; each comment is its own document."""
    repo, commit, _ = SOURCES["vilexnorm"]
    out = []
    for split in ("train", "dev", "test"):
        path = f"data/{split}.csv"
        for record in csv.DictReader(io.StringIO(git_show(mirror, repo, f"{commit}:{path}"))):
            text = (record.get("original") or "").strip()
            if len(text) >= 20:
                where = f"row {record['']}"
                out.append(row("vilexnorm", path, where, text, "comment", f"{split}-{record['']}"))
    out = _unique(out)
    problem = [r for r in out if PROBLEM.search(r["text"])]
    rest = [r for r in out if not PROBLEM.search(r["text"])]
    rng.shuffle(problem)
    rng.shuffle(rest)
    return problem[: count // 2] + rest[: count - count // 2]


def draw_ninth(mirror: Path, rng: random.Random, drawn: set[str]) -> list[dict]:
    """More real social posts and comments, not drawn before (by text): mostly with a
    word of a problem (in the comment or the post it answers), some at random."""

    def pick(rows: list[dict], problems: int, others: int) -> list[dict]:
        rows = [r for r in _unique(rows) if r["text"].strip().lower() not in drawn]
        has_problem = [bool(PROBLEM.search(r["text"] + " " + r.get("parent", ""))) for r in rows]
        problem = [r for r, found in zip(rows, has_problem, strict=True) if found]
        rest = [r for r, found in zip(rows, has_problem, strict=True) if not found]
        rng.shuffle(problem)
        rng.shuffle(rest)
        return problem[:problems] + rest[:others]

    return (
        pick(draw_hatespeech2025(mirror, rng, EVERYTHING), 450, 150)
        + pick(draw_reintel(mirror, rng, EVERYTHING), 400, 100)
        + pick(draw_vlsp2019(mirror, rng, EVERYTHING), 300, 100)
    )


def draw_thirteenth(mirror: Path, drawn_files: list[str]) -> list[dict]:
    """A pool for uncertainty sampling: up to `THIRTEENTH_POOL` texts per source, not drawn
    before, each of a document `split_dataset.split_name` puts in train (so that, chosen by
    a model, none of them ever reaches dev or test)."""
    from split_dataset import split_name

    drawn, texts = _vietnews_files(drawn_files), _texts(drawn_files)
    by_source = {
        "vietnews": draw_vietnews_by_category(
            mirror, random.Random(2039), EVERYTHING, ANY_ARTICLE, ALL_VIETNEWS, drawn,
            in_lead=True,
        ),
        "vihatespeech2025": draw_hatespeech2025(mirror, random.Random(2040), EVERYTHING),
        "vlsp2019": draw_vlsp2019(mirror, random.Random(2041), EVERYTHING),
        "vilexnorm": draw_vilexnorm(mirror, random.Random(2042), EVERYTHING),
        "reintel": draw_reintel(mirror, random.Random(2043), EVERYTHING),
        "vnexpress_comments": draw_vnexpress_comments(mirror, random.Random(2044), EVERYTHING),
    }  # fmt: skip
    pool = []
    for source, rows in by_source.items():
        rows = [
            r for r in _unique(rows)
            if r["text"].strip().lower() not in texts and split_name(r["doc"]) == "train"
        ]  # fmt: skip
        random.Random(source).shuffle(rows)
        print(f"{source}: {len(rows)} undrawn train-side texts", file=sys.stderr)
        pool.extend(rows[:THIRTEENTH_POOL])
    return pool


def draw_replay(mirror: Path, count: int) -> list[dict]:
    """The replayed press feed: items of a 2026 RSS crawl, in feed order."""
    return draw_news24h(mirror, random.Random(7), RSS_BACKUP_BLOB,
                        "crawl_news/rss_feed_articles_backup.csv", count)  # fmt: skip


ALL_VIETNEWS = ("data/train_tokenized/", "data/test_tokenized/", "data/val_tokenized/")


def _vietnews_files(drawn_files: list[str]) -> set[str]:
    """The vietnews files earlier draws (JSON Lines files) already took."""
    return {
        record["source"]["path"]
        for name in drawn_files
        for record in map(json.loads, Path(name).read_text(encoding="utf-8").splitlines())
        if record["source"]["name"] == "vietnews"
    }


def _texts(drawn_files: list[str]) -> set[str]:
    """The texts (trimmed, lowercased) of earlier draws (JSON Lines files)."""
    return {
        json.loads(line)["text"].strip().lower()
        for name in drawn_files
        for line in Path(name).read_text(encoding="utf-8").splitlines()
    }


def _unique(rows: list[dict]) -> list[dict]:
    """`rows` without repeated texts (trimmed, lowercased), the first kept."""
    seen, unique = set(), []
    for record in rows:
        key = record["text"].strip().lower()
        if key not in seen:
            seen.add(key)
            unique.append(record)
    return unique


def main(argv: list[str]) -> None:
    mirror, out_path = Path(argv[0]), Path(argv[1])
    rng = random.Random(2026)
    if len(argv) > 2 and argv[2] == "--replay":
        write(draw_replay(mirror, 240), out_path, "replay")
        return
    if len(argv) > 2 and argv[2] == "--by-category":
        write(draw_vietnews_by_category(mirror, random.Random(2027), 190), out_path, "real2")
        return
    if len(argv) > 3 and argv[2] == "--sixth":
        drawn = _texts(argv[3:])
        other = re.compile(FIFTH_WORDS["other"], re.IGNORECASE)
        rows = []
        for blob in NEWS24H_OTHER_BLOBS:
            rows += draw_news24h(
                mirror,
                random.Random(1),
                blob,
                "crawl_news/crawl/24h_html_categories_vi.csv",
                10_000,
            )
        rows += draw_reintel(mirror, random.Random(1), 10_000)
        rows = [r for r in rows if other.search(r["text"])]
        rows += draw_vietnews_by_category(
            mirror, random.Random(2031), 120, SIXTH_WORDS, ALL_VIETNEWS, in_lead=True
        )
        rows = [r for r in rows if r["text"].strip().lower() not in drawn]
        write(_unique(rows), out_path, "real6")
        return
    if len(argv) > 3 and argv[2] in ("--tenth", "--eleventh"):
        drawn, texts = _vietnews_files(argv[3:]), _texts(argv[3:])
        tenth = argv[2] == "--tenth"
        rows = draw_vietnews_by_category(
            mirror, random.Random(2035 if tenth else 2036),
            TENTH_COUNTS if tenth else ELEVENTH_COUNTS,
            TENTH_WORDS if tenth else ANY_ARTICLE, ALL_VIETNEWS, drawn,
            in_lead=True,
        )  # fmt: skip
        prefix = "real10" if tenth else "real11"
        write([r for r in rows if r["text"].strip().lower() not in texts], out_path, prefix)
        return
    if len(argv) > 3 and argv[2] == "--twelfth":
        drawn, texts = _vietnews_files(argv[3:]), _texts(argv[3:])
        comments = draw_vnexpress_comments(mirror, random.Random(2037), 10_000)
        comments = [r for r in comments if r["text"].strip().lower() not in texts]
        rows = _unique(comments)[: TWELFTH_COUNTS["vnexpress_comments"]]
        rows += draw_vietnews_by_category(
            mirror, random.Random(2038), TWELFTH_COUNTS["vietnews"],
            ANY_ARTICLE, ALL_VIETNEWS, drawn, in_lead=True,
        )  # fmt: skip
        write([r for r in rows if r["text"].strip().lower() not in texts], out_path, "real12")
        return
    if len(argv) > 3 and argv[2] == "--thirteenth":
        write(draw_thirteenth(mirror, argv[3:]), out_path, "real13")
        return
    if len(argv) > 3 and argv[2] == "--ninth":
        rows = draw_ninth(mirror, random.Random(2034), _texts(argv[3:]))
        write(rows, out_path, "real9")
        return
    if len(argv) > 2 and argv[2] == "--eighth":
        write(draw_vilexnorm(mirror, random.Random(2033), 1200), out_path, "real8")
        return
    if len(argv) > 3 and argv[2] == "--seventh":
        # The same article can sit in two vietnews files: leave out texts drawn before too.
        drawn, texts = _vietnews_files(argv[3:]), _texts(argv[3:])
        rows = draw_vietnews_by_category(
            mirror, random.Random(2032), 200, SEVENTH_WORDS, ALL_VIETNEWS, drawn, in_lead=True
        )
        write([r for r in rows if r["text"].strip().lower() not in texts], out_path, "real7")
        return
    if len(argv) > 3 and argv[2] == "--fifth":
        drawn, folders = _vietnews_files(argv[3:]), ALL_VIETNEWS
        rows = draw_vietnews_by_category(
            mirror, random.Random(2030), 160, FIFTH_WORDS, folders, drawn, in_lead=True
        )
        write(rows, out_path, "real5")
        return
    if len(argv) > 3 and argv[2] in ("--third", "--fourth"):
        drawn, folders = _vietnews_files(argv[3:]), ALL_VIETNEWS
        fourth = argv[2] == "--fourth"
        rows = draw_vietnews_by_category(
            mirror, random.Random(2029 if fourth else 2028), 150 if fourth else 230,
            FOURTH_WORDS if fourth else THIRD_WORDS, folders, drawn,
        )  # fmt: skip
        write(rows, out_path, "real4" if fourth else "real3")
        return
    rows = draw_vietnews(mirror, rng)
    rows += draw_news24h(
        mirror, rng, NEWS24H_BLOB, "crawl_news/crawl/24h_html_categories_vi.csv", 520
    )
    rows += draw_reintel(mirror, rng, 650)
    rows += draw_hatespeech2025(mirror, rng, 520)
    rows += draw_vlsp2019(mirror, rng, 380)
    rows += draw_vnexpress_comments(mirror, rng, 380)
    write(_unique(rows), out_path, "real")


def write(rows: list[dict], out_path: Path, prefix: str) -> None:
    with out_path.open("w", encoding="utf-8") as handle:
        for number, record in enumerate(rows, start=1):
            record["id"] = f"{prefix}-{number:05d}"
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(rows)} texts drawn", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
