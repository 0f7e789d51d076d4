"""Translation upkeep.

- `python scripts/i18n.py update`: re-extract strings into the vi and en catalogs;
- `python scripts/i18n.py fill < vi.json`: set Vietnamese translations from a JSON object;
- `python scripts/i18n.py check`: list Vietnamese strings still untranslated (exit 1 if any).
"""

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
PYBABEL = str(Path(sys.executable).with_name("pybabel"))


def extract() -> None:
    subprocess.run(
        [
            PYBABEL,
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--omit-header",
            "--no-location",
            "--sort-output",
            "-o",
            str(POT),
            str(ROOT / "app"),
        ],
        check=True,
        capture_output=True,
    )


def update() -> None:
    extract()
    for locale in ("vi", "en"):
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        command = "update" if po.exists() else "init"
        args = [PYBABEL, command, "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale]
        if command == "update":
            args += ["--no-fuzzy-matching", "--omit-header", "--ignore-obsolete"]
        subprocess.run(args, check=True, capture_output=True)


def untranslated(locale: str = "vi") -> list[str]:
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale=locale)
    return [
        str(m.id)
        for m in catalog
        if m.id and (not m.string or m.fuzzy or (isinstance(m.string, tuple) and not all(m.string)))
    ]


def fill(translations: dict[str, str], locale: str = "vi") -> None:
    """Set msgstr for the given msgids (JSON on stdin: {"msgid": "bản dịch"})."""
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale=locale)
    catalog.fuzzy = False
    catalog.project, catalog.version = "Social Beat", "1.0"
    for message in catalog:
        # Plural entries are keyed by their singular form.
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key and key in translations:
            value = translations[key]
            message.string = (
                (value,) * catalog.num_plurals if isinstance(message.id, tuple) else value
            )
            message.flags.discard("fuzzy")
    with open(path, "wb") as handle:
        write_po(handle, catalog, omit_header=False, sort_output=True, width=100)


if __name__ == "__main__":
    if sys.argv[1:] == ["fill"]:
        fill(json.load(sys.stdin))
    if sys.argv[1:] == ["update"]:
        update()
    missing = untranslated()
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    sys.exit(1 if missing and sys.argv[1:] == ["check"] else 0)
