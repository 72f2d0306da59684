"""Rebuilding local corpus texts from their sources: recipes on bytes, and the
hash gate that keeps a drifted recipe from writing a text nobody labelled."""

import hashlib
import io
import json
import subprocess
import zipfile

import pytest
import yaml

from enrich import rebuild


def test_layouts_put_the_title_on_top_first_and_keep_the_bare_text():
    layouts = rebuild._layouts("Copper output falls", "Body.\n")
    assert layouts[0] == "Copper output falls\n\nBody.\n"
    assert "Body." in layouts and "Body.\n" in layouts
    assert all(not layout.startswith("None") for layout in rebuild._layouts(None, "Body."))


def test_reuters_recipe_takes_the_first_header_line_as_title():
    source = b"-- Gazprom raises gas price\n-- \n-- Sun Dec 31, 2006\n-- http://x\n\n Body text. \n\n"
    title, text = rebuild.RECIPES["Danbo3004/financial-news-dataset"](lambda path: source, {"id": "t", "path": "p"})
    assert title == "Gazprom raises gas price"
    assert text.startswith("-- Gazprom") and text.endswith("Body text.")


def test_cnn_dailymail_recipe_finds_the_story_by_id_not_position():
    csv_bytes = b'id,article,highlights\n' + b'%s,"Second, story",h\n' % (b"b" * 40) + b'%s,"First story",h\n' % (b"a" * 40)
    item = {"id": "t", "path": "x.csv", "locator": f"data row with id {'a' * 40} (0-based data-row index 0)"}
    assert rebuild.RECIPES["hillaryke/rag-optimization-cnn-dailymail"](lambda path: csv_bytes, item) == (None, "First story")
    with pytest.raises(ValueError):
        rebuild.RECIPES["hillaryke/rag-optimization-cnn-dailymail"](lambda path: csv_bytes, {**item, "locator": "row 3"})


def test_scraped_paragraphs_skip_empty_ones():
    record = json.dumps({"title": "OPEC hikes output", "body_paragraphs": [" One. ", "", "  ", "Two."]}).encode()
    assert rebuild.RECIPES["nuuuwan/news_long_lk"](lambda path: record, {"id": "t", "path": "p"}) == ("OPEC hikes output", "One.\n\nTwo.\n")


def _workbook() -> bytes:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("xl/workbook.xml", f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="News" r:id="rId1"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels", '<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>')
        book.writestr("xl/sharedStrings.xml", f'<sst xmlns="{main}"><si><t>headline</t></si><si><t>Soy exports halted</t></si></sst>')
        book.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{main}"><sheetData>'
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>body</t></is></c></row>'
            '<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="inlineStr"><is><t>Argentina halted soy exports.</t></is></c><c r="C2"/></row>'
            "</sheetData></worksheet>",
        )
    return buffer.getvalue()


def test_xlsx_sheet_reads_shared_and_inline_strings_and_empty_cells():
    rows = rebuild._xlsx_sheet(_workbook(), "News")
    assert rows[1] == {"A": "headline", "B": "body"}
    assert rows[2] == {"A": "Soy exports halted", "B": "Argentina halted soy exports.", "C": ""}


def _git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True, text=True).stdout.strip()


def test_rebuild_writes_only_texts_that_hash_as_recorded(tmp_path):
    clone = tmp_path / "sources" / "noRubidium+seng3011_api"
    clone.mkdir(parents=True)
    _git(clone, "init", "-q")
    (clone / "a.json").write_text(json.dumps({"headline": "Alrosa halts sales", "text": "Alrosa halted sales."}))
    _git(clone, "add", "a.json")
    _git(clone, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a")
    commit = _git(clone, "rev-parse", "HEAD")
    good = hashlib.sha256(b"Alrosa halts sales\n\nAlrosa halted sales.").hexdigest()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    item = {"repo": "noRubidium/seng3011_api", "path": "a.json", "commit": commit, "text_in_repo": False}
    items = [{**item, "id": "x-001", "sha256": good}, {**item, "id": "x-002", "sha256": "0" * 64}, {**item, "id": "x-003", "repo": "nobody/none"}]
    (corpus / "x.yaml").write_text(yaml.safe_dump(items))

    outcome = rebuild.rebuild(tmp_path / "sources", corpus)

    assert outcome == {"rebuilt": 1, "hash differs": 1, "no recipe": 1}
    assert (corpus / "local" / "x-001.txt").read_text() == "Alrosa halts sales\n\nAlrosa halted sales."
    assert not (corpus / "local" / "x-002.txt").exists()
    assert rebuild.rebuild(tmp_path / "sources", corpus, only="noRubidium/seng3011_api")["already present"] == 1
