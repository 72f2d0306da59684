"""The text-shape stage: real copy made readable without moving any offset."""

from enrich.taxonomy import load_taxonomy
from enrich.textshape import shape, shape_title


def _shape(text):
    shaped = shape(text, load_taxonomy().known_case)
    assert len(shaped) == len(text)  # offsets into the shaped copy are offsets into the original
    return shaped


def test_soft_line_breaks_are_unwrapped_and_paragraphs_kept():
    text = "Kestrel Mining said on Monday it would cut nickel output at its\nBoreal mine by a fifth from July.\n\nThe company said prices were too low."
    shaped = _shape(text)
    assert "at its Boreal mine" in shaped
    assert "\n\nThe company" in shaped


def test_caps_headline_is_recased_from_the_body_and_stays_a_sentence():
    text = "KESTREL MINING TRIMS NICKEL OUTPUT\nKestrel Mining said it would cut output."
    assert _shape(text).startswith("Kestrel Mining trims nickel output\n")


def test_title_case_headline_is_recased():
    assert shape_title("Argentina Suspends Corn Exports Until at Least March", "Argentina said so.") == "Argentina suspends corn exports until at least March"


def test_dateline_byline_and_ticker_are_blanked():
    text = "OSLO, June 29 - <Boreal Inc> said it halted copper sales.\n\nReporting by Joe Bloggs; Editing by Jane Doe"
    shaped = _shape(text)
    assert "OSLO" not in shaped and "Reporting" not in shaped and "<" not in shaped
    assert "Boreal Inc  said it halted copper sales." in shaped


def test_glued_sentences_are_parted():
    assert "\nTrades" in _shape("Prices rose in the week above.Trades were slow.")


def test_a_run_on_sentence_is_cut_into_pieces_the_grammar_can_afford():
    from enrich.sentences import MAX_SENTENCE_CHARS, split_sentences

    text = "copper prices rose sharply as miners in Chile cut production, " * 400
    spans = split_sentences(text)
    assert len(spans) > 1 and all(end - start <= MAX_SENTENCE_CHARS for start, end in spans)
    assert spans[0][0] == 0 and spans[-1][1] == len(text.rstrip())
    assert all(text[end - 1] in ", " or text[end - 2 : end] == ", " for _, end in spans[:-1])
