"""End to end: the real bot, real PTB networking, a fake Bot API server over HTTP on 127.0.0.1.

The index is built once per module with the real model (the bundled article and a short
second document); every test gets its own copy of corpus and index, and its own server.

One module (about 610 lines): every test shares the module's index, built once with the
real model.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from index.config import Settings
from index.embedding import SentenceTransformerEmbedder
from tests.botharness import (
    RunningBot,
    build_template,
    running_bot,
    template_settings,
)
from tests.conftest import ARTICLE
from tests.fakebotapi import BOT_USERNAME, FakeBotApi, bot_user, group, private, user
from tests.pages import serving_pages

pytestmark = pytest.mark.integration

ADMIN = 1001
READER = 2002
GEYSERS = (
    "Geysers of Iceland\n\n"
    "The Strokkur geyser, in the Haukadalur valley, erupts every six to ten minutes and its "
    "column of boiling water often reaches a height of twenty metres.\n"
)


@pytest.fixture(scope="module")
def template(
    real_embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return build_template(tmp_path_factory.mktemp("bot-template"), real_embedder)


_settings = template_settings


@asynccontextmanager
async def bot_on_copy(
    template: Path, tmp_path: Path, embedder: SentenceTransformerEmbedder, **env: str
) -> AsyncIterator[RunningBot]:
    """The bot over its own copy of the template's corpus and index, on its own server."""
    root = tmp_path / "data"
    shutil.copytree(template, root, symlinks=True)
    settings = {
        "VERBATIM_ADMIN_IDS": str(ADMIN),
        "VERBATIM_RELOAD_SECONDS": "0.2",
        "VERBATIM_TYPING_AFTER_SECONDS": "0",  # always show "typing…", to test it
        **env,
    }
    with FakeBotApi() as api:
        async with running_bot(api, _settings(root), embedder, **settings) as running:
            yield running


@pytest.fixture
async def bot(
    template: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> AsyncIterator[RunningBot]:
    async with bot_on_copy(template, tmp_path, real_embedder) as running:
        yield running


def html_of(message: dict[str, Any]) -> str:
    html: str = message.get("html") or message["text"]
    return html


async def ask_private(bot: RunningBot, uid: int, text: str) -> dict[str, Any]:
    """Send ``text`` in a private chat; return the bot's next message there."""
    before = len(bot.api.sent(uid))
    bot.api.text(private(uid), user(uid), text)
    replies = await bot.replies(uid, before + 1)
    reply: dict[str, Any] = replies[before]
    return reply


# -- a private conversation ----------------------------------------------------------------------


async def test_private_question_gets_a_quote_with_source_and_buttons(bot: RunningBot) -> None:
    reply = await ask_private(bot, READER, "When was Koryolink established?")
    html = html_of(reply)
    assert html.count("<blockquote>") == 1
    bold = html.split("<b>", 1)[1].split("</b>", 1)[0]
    assert "2008" in bold
    assert "North Korea" in html.split("</blockquote>", 1)[1]  # the source line (title)
    # The quote is verbatim document text.
    quote = reply["text"].split("\n—", 1)[0].strip()
    assert quote in ARTICLE.read_text(encoding="utf-8")
    # It replies to the question, with typing shown first and three buttons under it.
    assert reply["reply_to_message"]["text"] == "When was Koryolink established?"
    assert any(c.params.get("action") == "typing" for c in bot.api.calls_of("sendChatAction"))
    buttons = [b["text"] for b in reply["reply_markup"]["inline_keyboard"][0]]
    assert buttons == ["More", "👍", "👎"]
    # The operator's journal has the question, with a pseudonym for the chat.
    journal = bot.settings.index_dir / "questions.jsonl"
    record = json.loads(journal.read_text(encoding="utf-8").splitlines()[-1])
    assert record["question"] == "When was Koryolink established?"
    assert record["answered"] is True and record["passages"]
    assert record["chat"] != str(READER) and len(record["chat"]) == 12


async def test_follow_up_is_understood_and_reset_forgets(bot: RunningBot) -> None:
    await ask_private(bot, READER, "When was Koryolink established?")
    follow = await ask_private(bot, READER, "And Kang Song NET?")
    bold = html_of(follow).split("<b>", 1)[1].split("</b>", 1)[0]
    assert "2015" in bold
    reset = await ask_private(bot, READER, "/reset")
    assert "forgotten" in reset["text"]


async def test_the_history_holds_the_question_as_cleaned(bot: RunningBot) -> None:
    """Markup and invisible characters are gone from what a follow-up is read with."""
    await ask_private(bot, READER, "<b>When</b> was\u200b Koryolink established?")
    service = bot.app.bot_data.service
    assert service.state.history(READER) == ["When was Koryolink established?"]


async def test_a_question_the_documents_do_not_answer_is_declined(bot: RunningBot) -> None:
    reply = await ask_private(bot, READER, "What is the boiling point of mercury?")
    assert "could not find" in reply["text"]
    assert "<blockquote>" not in html_of(reply)
    assert "reply_markup" not in reply


async def test_a_near_miss_offers_the_closest_passage_on_request(bot: RunningBot) -> None:
    """Declined, but not a dead end: the nearest passage comes under a button, marked as
    unsure, with the usual buttons under it."""
    reply = await ask_private(bot, READER, "Which cities get the upgrade first?")
    assert "could not find" in reply["text"]
    (button,) = reply["reply_markup"]["inline_keyboard"][0]
    assert button["text"] == "Closest passage"
    bot.api.press(reply, user(READER), button["callback_data"])
    closest = (await bot.replies(READER, 2))[1]
    assert "Not a sure answer" in closest["text"]
    assert html_of(closest).count("<blockquote>") == 1
    assert "Pyongyang" in closest["text"]
    assert [b["text"] for b in closest["reply_markup"]["inline_keyboard"][0]] == [
        "More",
        "👍",
        "👎",
    ]
    answered = await bot.calls("answerCallbackQuery", 1)
    assert len(answered) == 1  # the press is answered once


async def test_closest_passage_pressed_again_is_not_a_more_button(bot: RunningBot) -> None:
    reply = await ask_private(bot, READER, "Which cities get the upgrade first?")
    (button,) = reply["reply_markup"]["inline_keyboard"][0]
    bot.api.press(reply, user(READER), button["callback_data"])
    await bot.replies(READER, 2)
    bot.api.press(reply, user(READER), button["callback_data"])
    answers = await bot.calls("answerCallbackQuery", 2)
    assert "Shown already" in str(answers[-1].params.get("text"))
    await bot.idle()
    assert len(bot.api.sent(READER)) == 2


async def test_more_whose_passages_could_not_be_sent_gives_them_next_time(
    bot: RunningBot,
) -> None:
    """Sending More's passages fails (the server refuses): the next press shows them, it
    does not skip them."""
    reply = await ask_private(bot, READER, "What will Huawei equipment be used for?")
    more = reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    bot.api.fail("sendMessage", 500, "Internal Server Error", times=2)  # passages, apology
    bot.api.press(reply, user(READER), more)
    await bot.calls("answerCallbackQuery", 1)
    await bot.idle()
    bot.api.press(reply, user(READER), more)
    further = await bot.replies(READER, 2)
    assert further[-1]["text"].startswith("2. ")


async def test_start_help_and_sources(bot: RunningBot) -> None:
    start = await ask_private(bot, READER, "/start")
    assert "2 document(s)" in start["text"]
    assert "Volcanoes of Iceland" in start["text"]
    assert "Try asking" in start["text"]
    help_ = await ask_private(bot, READER, "/help")
    assert f"@{BOT_USERNAME}" in help_["text"]
    assert "Operators" not in help_["text"]  # only admins see operator help
    sources = await ask_private(bot, READER, "/sources")
    assert "chunks" in sources["text"] and "Volcanoes of Iceland" in sources["text"]
    commands = bot.api.calls_of("setMyCommands")
    assert commands and {"start", "help", "sources", "reset", "ask"} <= {
        c["command"] for c in commands[0].params["commands"]
    }


# -- buttons -------------------------------------------------------------------------------------


async def test_more_shows_further_passages_and_votes_are_recorded(bot: RunningBot) -> None:
    reply = await ask_private(bot, READER, "What will Huawei equipment be used for?")
    more, up, _down = reply["reply_markup"]["inline_keyboard"][0]
    bot.api.press(reply, user(READER), more["callback_data"])
    further = (await bot.replies(READER, 2))[1]
    assert further["text"].startswith("2. ")
    assert further["text"].split("\n—")[0] != reply["text"].split("\n—")[0]

    bot.api.press(reply, user(READER), up["callback_data"])
    answers = await bot.calls("answerCallbackQuery", 2)
    assert answers[-1].params.get("text") == "Thanks for the feedback!"
    feedback = bot.settings.index_dir / "feedback.jsonl"
    record = json.loads(feedback.read_text(encoding="utf-8").splitlines()[-1])
    assert record["vote"] == "up"
    assert record["question"] == "What will Huawei equipment be used for?"
    assert record["passages"] and str(READER) not in record["chat"]


@pytest.fixture
async def lenient_bot(
    template: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> AsyncIterator[RunningBot]:
    """The bot with a flood limit no test reaches: button presses are all handled."""
    async with bot_on_copy(
        template, tmp_path, real_embedder, VERBATIM_FLOOD_MESSAGES="1000"
    ) as running:
        yield running


async def test_more_pressed_twice_never_repeats_and_votes_count_once(
    lenient_bot: RunningBot,
) -> None:
    """The same More twice: the second goes on from where the chat is. Twenty quick 👍 on one
    answer: one vote; a change of mind replaces it."""
    bot = lenient_bot
    reply = await ask_private(bot, READER, "What will Huawei equipment be used for?")
    more, up, down = reply["reply_markup"]["inline_keyboard"][0]
    bot.api.press(reply, user(READER), more["callback_data"])
    bot.api.press(reply, user(READER), more["callback_data"])
    further = sorted(m["text"] for m in (await bot.replies(READER, 3))[1:])
    assert further[0].startswith("2. ") and further[1].startswith("5. ")  # no repeats

    for _ in range(20):
        bot.api.press(reply, user(READER), up["callback_data"])
    await bot.calls("answerCallbackQuery", 22)
    bot.api.press(reply, user(READER), down["callback_data"])
    await bot.calls("answerCallbackQuery", 23)
    lines = (bot.settings.index_dir / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    votes = [json.loads(line)["vote"] for line in lines]
    assert votes == ["up", "down"]  # one write per change of mind
    texts = [c.params.get("text") for c in bot.api.calls_of("answerCallbackQuery")]
    assert texts.count("Thanks for the feedback!") == 1
    assert texts.count("You have voted on this answer already.") == 19
    assert texts[-1] == "Vote changed — thanks!"
    from bot.journal import feedback

    summary = feedback(bot.settings.index_dir)
    assert (summary.up, summary.down) == (0, 1)  # the last vote counts


async def test_a_button_from_another_chat_has_expired(bot: RunningBot) -> None:
    """Callback data copied into another chat (or under another message) gets nothing of
    the first chat's: not its passages, not a vote under its question."""
    reply = await ask_private(bot, READER, "What will Huawei equipment be used for?")
    more, up, _down = reply["reply_markup"]["inline_keyboard"][0]
    other = ADMIN
    elsewhere = {**reply, "chat": private(other)}
    bot.api.press(elsewhere, user(other), more["callback_data"])
    bot.api.press(elsewhere, user(other), up["callback_data"])
    answers = await bot.calls("answerCallbackQuery", 2)
    assert all("expired" in str(a.params.get("text")) for a in answers[-2:])
    assert bot.api.sent(other) == []
    assert not (bot.settings.index_dir / "feedback.jsonl").exists()


async def test_buttons_and_conversations_survive_a_restart(
    template: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    """The bot stops and starts again (same index folder, so the same state.sqlite): a
    follow-up is understood in the light of the question asked before, and the old answer's
    More goes on from where the chat was."""
    root = tmp_path / "data"
    shutil.copytree(template, root, symlinks=True)
    with FakeBotApi() as api:
        async with running_bot(api, _settings(root), real_embedder) as first:
            reply = await ask_private(first, READER, "When was Koryolink established?")
        assert (root / "index" / "state.sqlite").is_file()
        async with running_bot(api, _settings(root), real_embedder) as second:
            follow = await ask_private(second, READER, "And Kang Song NET?")
            assert "2015" in html_of(follow).split("<b>", 1)[1].split("</b>", 1)[0]
            more = reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            api.press(reply, user(READER), more)
            further = (await second.replies(READER, 3))[2]
            assert further["text"].startswith("2. ")


async def test_a_button_the_store_lost_falls_back_and_forged_data_is_refused(
    bot: RunningBot,
) -> None:
    import sqlite3

    reply = await ask_private(bot, READER, "When was Koryolink established?")
    more = reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    with sqlite3.connect(bot.settings.index_dir / "state.sqlite") as db:
        db.execute("DELETE FROM answers")  # pruned, or from before the store
    bot.api.press(reply, user(READER), more)
    further = (await bot.replies(READER, 2))[1]
    assert "<blockquote>" in html_of(further)  # from the question the answer replied to

    bot.api.press(reply, user(READER), "more:../../etc/passwd:1")
    bot.api.press({**reply, "reply_to_message": None}, user(READER), "vote:0123456789ab:up")
    answers = await bot.calls("answerCallbackQuery", 3)
    texts = [a.params.get("text", "") for a in answers]
    assert any("not recognised" in t for t in texts)
    assert any("expired" in t for t in texts)


async def test_a_lost_button_under_the_closest_passage_is_expired_not_a_question(
    bot: RunningBot,
) -> None:
    """The closest passage replies to the decline, not to the question: once the store has
    lost the answer, its buttons must not ask the decline's text as a question (a helper
    found More quoting other passages and a vote recorded for "I could not find that…"); and
    a button the message does not carry does not fall back either."""
    import sqlite3

    declined = await ask_private(bot, READER, "Which cities get the upgrade first?")
    (button,) = declined["reply_markup"]["inline_keyboard"][0]
    bot.api.press(declined, user(READER), button["callback_data"])
    closest = (await bot.replies(READER, 2))[1]
    with sqlite3.connect(bot.settings.index_dir / "state.sqlite") as db:
        db.execute("DELETE FROM answers")
    more, up = (b["callback_data"] for b in closest["reply_markup"]["inline_keyboard"][0][:2])
    bot.api.press(closest, user(READER), more)
    bot.api.press(closest, user(READER), up)
    await bot.calls("answerCallbackQuery", 3)
    answer = await ask_private(bot, READER, "When was Koryolink established?")
    bot.api.press(answer, user(READER), "more:000000000000:1")  # not one of its buttons
    answers = await bot.calls("answerCallbackQuery", 4)
    assert all("expired" in str(a.params.get("text")) for a in answers[1:]), answers
    await bot.idle()
    assert len(bot.api.sent(READER)) == 3  # the decline, the closest passage, the answer
    assert not (bot.settings.index_dir / "feedback.jsonl").exists()


# -- groups --------------------------------------------------------------------------------------


async def test_group_answers_only_when_addressed(bot: RunningBot) -> None:
    chat = group(-100123)
    bot.api.text(chat, user(READER), "When was Koryolink established?")
    await bot.idle()
    assert bot.api.sent(chat["id"]) == []

    bot.api.text(chat, user(READER), f"@{BOT_USERNAME} When was Koryolink established?")
    first = (await bot.replies(chat["id"], 1))[0]
    assert "2008" in first["text"]

    bot.api.text(chat, user(READER), "And Kang Song NET?", reply_to=first)
    second = (await bot.replies(chat["id"], 2))[1]
    assert "2015" in second["text"]

    bot.api.text(chat, user(READER), "/ask When did Hekla erupt?")
    third = (await bot.replies(chat["id"], 3))[2]
    assert "2000" in third["text"]


async def test_forum_topic_replies_stay_in_the_thread(bot: RunningBot) -> None:
    chat = group(-100456, forum=True)
    bot.api.text(chat, user(READER), f"@{BOT_USERNAME} When did Hekla erupt?", thread_id=77)
    reply = (await bot.replies(chat["id"], 1))[0]
    assert reply.get("message_thread_id") == 77
    actions = bot.api.calls_of("sendChatAction")
    assert actions and actions[-1].params.get("message_thread_id") == 77


# -- inline mode ---------------------------------------------------------------------------------


async def test_inline_query_offers_quotes(bot: RunningBot) -> None:
    bot.api.inline(user(READER), "When did Eyjafjallajökull erupt?")
    call = (await bot.calls("answerInlineQuery"))[0]
    results = call.params["results"]
    assert 1 <= len(results) <= 10
    assert "2010" in results[0]["description"]
    assert "<blockquote>" in results[0]["input_message_content"]["message_text"]
    assert str(call.params.get("is_personal", "false")).lower() == "false"
    assert int(call.params["cache_time"]) <= 60

    bot.api.inline(user(READER), "")
    empty = (await bot.calls("answerInlineQuery", 2))[1]
    assert empty.params["results"] == []


async def test_inline_results_are_personal_when_there_is_an_allow_list(
    template: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    """Telegram gives cached non-personal results to anyone typing the same query: with an
    allow-list, a stranger would get an allowed user's passages without the bot being asked."""
    async with bot_on_copy(
        template, tmp_path, real_embedder, VERBATIM_ALLOWED_CHAT_IDS=str(READER)
    ) as bot:
        bot.api.inline(user(READER), "When did Eyjafjallajökull erupt?")
        call = (await bot.calls("answerInlineQuery"))[0]
        assert call.params["results"]
        assert str(call.params.get("is_personal")).lower() == "true"


# -- operators -----------------------------------------------------------------------------------


async def test_admin_upload_makes_a_new_fact_answerable(bot: RunningBot) -> None:
    before = await ask_private(bot, ADMIN, "How often does the Strokkur geyser erupt?")
    assert "could not find" in before["text"]

    bot.api.document(private(ADMIN), user(ADMIN), "Geysers of Iceland.txt", GEYSERS.encode())
    # One reply, "Saved … Updating the index…", edited with the summary when the build is done.
    status = await finished(bot, ADMIN, 2)
    assert status["text"].startswith("Saved Geysers_of_Iceland.txt. Updating the index…")
    assert "1 added" in status["text"]
    assert (bot.settings.corpus_dir / "Geysers_of_Iceland.txt").read_text() == GEYSERS

    after = await ask_private(bot, ADMIN, "How often does the Strokkur geyser erupt?")
    assert "six to ten minutes" in after["text"]

    bot.api.text(private(ADMIN), user(ADMIN), "/reindex")
    done = await finished(bot, ADMIN, 4)
    assert done["text"].startswith("Rebuilding the index") and "unchanged" in done["text"]
    assert len(bot.api.sent(ADMIN)) == 4


async def test_an_admin_can_add_a_word_document(bot: RunningBot) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Geysers of Iceland", level=1)
    for paragraph in GEYSERS.split("\n\n")[1:]:
        document.add_paragraph(paragraph.strip())
    data = io.BytesIO()
    document.save(data)
    bot.api.document(private(ADMIN), user(ADMIN), "Geysers.docx", data.getvalue())
    status = await finished(bot, ADMIN, 1)
    assert status["text"].startswith("Saved Geysers.docx. Updating the index…")
    assert "1 added" in status["text"]
    after = await ask_private(bot, ADMIN, "How often does the Strokkur geyser erupt?")
    assert "six to ten minutes" in after["text"] and "Geysers of Iceland" in after["text"]


async def test_an_admin_can_add_each_format_and_a_pdf_quote_gives_its_page(
    bot: RunningBot, tmp_path: Path
) -> None:
    """An OpenDocument, EPUB, RTF, CSV and PDF file uploaded by an operator, each made here
    by its format's library: each answers its own question, the PDF's quote with its page."""
    from tests.conftest import make_pdf
    from tests.unit.index.test_formats import _epub, _odt, _rtf

    def fact(name: str, minutes: int) -> str:
        return f"The {name} geyser erupts every {minutes} minutes in the summer months."

    files = {
        "springs.odt": _odt("Hot springs", fact("Odtfell", 11), "Its water is warm."),
        "springs.epub": _epub(tmp_path, "Hot springs", fact("Epubdalur", 13), "It is quiet."),
        "springs.rtf": _rtf("Hot springs", fact("Rtfhver", 17), "It smells of sulphur."),
        "springs.csv": f"Geyser,Note\nCsvgil,{fact('Csvgil', 19)}\n".encode(),
        "springs.pdf": make_pdf(
            ["Hot springs of the south", "An introduction to the springs of the valley."],
            ["Pdfhver", fact("Pdfhver", 23)],
        ),
    }
    for count, (name, data) in enumerate(files.items(), 1):
        bot.api.document(private(ADMIN), user(ADMIN), name, data)
        status = await finished(bot, ADMIN, 2 * count - 1)
        assert f"Saved {name}" in status["text"] and "1 added" in status["text"]
        geyser = {"odt": "Odtfell", "epub": "Epubdalur", "rtf": "Rtfhver", "csv": "Csvgil"}
        asked = geyser.get(name.rsplit(".", 1)[1], "Pdfhver")
        reply = await ask_private(bot, ADMIN, f"How often does the {asked} geyser erupt?")
        assert fact(asked, 0).split(" 0 ")[0] in reply["text"], (name, reply["text"])
        if name.endswith(".pdf"):
            assert "p. 2" in reply["text"].rsplit("—", 1)[1]


async def test_an_admin_adds_a_page_by_sending_its_link(
    template: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    """An operator's link (or /add and a link) fetches the page, saves it and updates the
    index, in one reply edited as it goes; a reader's link is never fetched."""
    root = tmp_path / "data"
    shutil.copytree(template, root, symlinks=True)
    settings = Settings(
        corpus_dir=root / "corpus", index_dir=root / "index", fetch_allow_private=True
    )
    with serving_pages() as site, FakeBotApi() as api:
        async with running_bot(
            api,
            settings,
            real_embedder,
            VERBATIM_ADMIN_IDS=str(ADMIN),
            VERBATIM_RELOAD_SECONDS="0.2",
        ) as bot:
            refused = await ask_private(bot, READER, f"{site}/geysers")
            assert "I do not open links" in refused["text"]
            readers = group(-100777)
            for who in (READER, ADMIN):  # in a group, nobody's link is fetched
                bot.api.text(readers, user(who), f"@{BOT_USERNAME} {site}/geysers")
            in_group = await bot.replies(readers["id"], 2)
            assert all("I do not open links" in m["text"] for m in in_group)
            assert not (root / "corpus" / "127-0-0-1-geysers.txt").exists()
            bot.api.text(private(ADMIN), user(ADMIN), f"{site}/geysers")
            status = await finished(bot, ADMIN, 1)
            assert "Added 127-0-0-1-geysers.txt: Geysers of Iceland" in status["text"]
            assert "1 added" in status["text"]
            after = await ask_private(bot, ADMIN, "How often does the Strokkur geyser erupt?")
            assert "six to ten minutes" in after["text"]
            bot.api.text(private(ADMIN), user(ADMIN), f"/add {site}/missing {site}/geysers?v=2")
            both = await finished(bot, ADMIN, 3)
            assert both["text"].startswith("✗") and "answered 404" in both["text"]
            assert "Added 127-0-0-1-geysers-v-2.txt" in both["text"]
            progress = [str(c.params.get("text")) for c in bot.api.calls_of("editMessageText")]
            assert any(t.endswith("Fetching 2 of 2…") and "404" in t for t in progress)
            # A link inside a sentence is added too; the same text again changes nothing.
            bot.api.text(private(ADMIN), user(ADMIN), f"Please add <{site}/geysers>, thanks!")
            same = await asyncio.to_thread(
                bot.api.wait_for,
                lambda a: len(a.sent(ADMIN)) >= 4 and "Unchanged" in a.sent(ADMIN)[3]["text"],
                30,
            )
            assert same
            await bot.idle()
            last = bot.api.sent(ADMIN)[3]["text"]
            assert last.startswith("Unchanged 127-0-0-1-geysers.txt") and "Index" not in last
            assert len(bot.api.sent(ADMIN)) == 4  # one reply per message, edited


async def test_documents_lists_pages_and_removes_after_confirming(bot: RunningBot) -> None:
    """/documents (operators): the corpus in one message, paged with buttons; Remove asks,
    Cancel goes back, Yes moves the file aside and updates the index in the same message; a
    stale Yes and a reader's press change nothing."""
    refused = await ask_private(bot, READER, "/documents")
    assert "only the bot's operators" in refused["text"]
    corpus = bot.settings.corpus_dir
    for n in range(1, 5):  # six documents: two pages
        (corpus / f"note-{n}.txt").write_text(
            f"Note {n}\n\nThe kiln number {n} in the old pottery was fired every Tuesday.\n",
            encoding="utf-8",
        )
    (corpus / "strokkur.txt").write_text(GEYSERS, encoding="utf-8")
    bot.api.text(private(ADMIN), user(ADMIN), "/reindex")
    await finished(bot, ADMIN, 1)

    listing = await ask_private(bot, ADMIN, "/documents")
    assert listing["text"].startswith("7 documents — page 1 of 2")
    rows = listing["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in rows[0]] == [f"Remove {n}" for n in range(1, 6)]
    assert [b["text"] for b in rows[1]] == ["Next ›"]
    assert "chunk" in listing["text"] and "a file" in listing["text"]
    assert len(bot.api.sent(ADMIN)) == 2

    def current() -> dict[str, Any]:
        message: dict[str, Any] = bot.api.messages[(ADMIN, listing["message_id"])]
        return message

    async def press(label: str, expect: str, who: int = ADMIN) -> dict[str, Any]:
        buttons = {
            b["text"]: b["callback_data"]
            for r in current()["reply_markup"]["inline_keyboard"]
            for b in r
        }
        bot.api.press(current(), user(who), buttons[label])
        message: dict[str, Any] = await asyncio.to_thread(
            bot.api.wait_for, lambda _: expect in current()["text"] and current(), 30
        )
        return message

    second = await press("Next ›", "page 2 of 2")
    assert "6. " in second["text"] and "7. " in second["text"]
    assert [b["text"] for b in second["reply_markup"]["inline_keyboard"][1]] == ["‹ Previous"]
    page_two = [b["text"] for b in second["reply_markup"]["inline_keyboard"][0]]
    assert page_two == ["Remove 6", "Remove 7"]
    geysers_number = 6  # in corpus order: the article, four notes, strokkur.txt, volcanoes.md
    assert "6. Geysers of Iceland" in second["text"]
    ask = await press(f"Remove {geysers_number}", "Remove Geysers of Iceland")
    assert "strokkur.txt" in ask["text"] and ".removed/" in ask["text"]
    yes = ask["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    bot.api.press(current(), user(READER), yes)  # a reader cannot remove
    await bot.calls("answerCallbackQuery", 3)
    assert "Only the bot's operators" in str(
        bot.api.calls_of("answerCallbackQuery")[-1].params.get("text")
    )
    assert (corpus / "strokkur.txt").exists()
    back = await press("Cancel", "page 2 of 2")
    assert (corpus / "strokkur.txt").exists() and "Geysers" in back["text"]

    await press(f"Remove {geysers_number}", "Remove Geysers of Iceland")
    await press("Yes, remove", "Removed strokkur.txt")
    done = await finished(bot, ADMIN, 2)
    assert "1 removed" in done["text"] and done["message_id"] == listing["message_id"]
    assert not (corpus / "strokkur.txt").exists()
    (aside,) = (corpus / ".removed").iterdir()
    assert aside.read_text(encoding="utf-8") == GEYSERS
    bot.api.press(done, user(ADMIN), yes)  # the old Yes again: gone, nothing else removed
    await bot.calls("answerCallbackQuery", 7)
    assert "no longer in the corpus" in str(
        bot.api.calls_of("answerCallbackQuery")[-1].params.get("text")
    )
    assert len(list(corpus.iterdir())) == 7  # six documents and .removed
    declined = await ask_private(bot, ADMIN, "How often does the Strokkur geyser erupt?")
    assert "six to ten minutes" not in declined["text"]
    assert len(bot.api.sent(ADMIN)) == 3  # one message for the listing, start to end
    # A button from before a document was replaced by another version removes nothing.
    old_remove = rows[0][1]["callback_data"]  # note-1.txt, as first listed
    (corpus / "note-1.txt").write_text("Note 1\n\nThe kiln was rebuilt in brick.\n", "utf-8")
    bot.api.text(private(ADMIN), user(ADMIN), "/reindex")
    await finished(bot, ADMIN, 4)
    bot.api.press(current(), user(ADMIN), old_remove)
    await bot.calls("answerCallbackQuery", 8)
    assert "changed since this list was made" in str(
        bot.api.calls_of("answerCallbackQuery")[-1].params.get("text")
    )
    assert (corpus / "note-1.txt").exists()


async def test_an_operators_link_to_a_private_address_is_refused(bot: RunningBot) -> None:
    """With VERBATIM_FETCH_ALLOW_PRIVATE off (the default), a link into this machine's own
    network is refused, saying why; nothing is saved."""
    with serving_pages() as site:
        files = sorted(p.name for p in bot.settings.corpus_dir.iterdir())
        reply = await ask_private(bot, ADMIN, f"{site}/geysers")
        await bot.idle()
        text = bot.api.sent(ADMIN)[0]["text"]
        assert reply["message_id"] == bot.api.sent(ADMIN)[0]["message_id"]
        assert text.startswith("✗") and "private, loopback or link-local" in text
        assert "VERBATIM_FETCH_ALLOW_PRIVATE" in text
        assert sorted(p.name for p in bot.settings.corpus_dir.iterdir()) == files


async def test_an_upload_named_like_a_document_asks_before_replacing_it(bot: RunningBot) -> None:
    """The bundled article's name with other content: never a silent replacement. Replace
    keeps the old version aside (recoverable, not indexed); Keep both saves under a free
    name; Cancel stores nothing; a second press of an answered question has expired."""
    name = ARTICLE.name
    article = ARTICLE.read_bytes()
    uploads = [GEYSERS, GEYSERS + "\nA second version.\n", GEYSERS + "\nA third.\n"]

    async def upload_and_choose(content: str, choice: str, count: int) -> dict[str, Any]:
        bot.api.document(private(ADMIN), user(ADMIN), name, content.encode())
        question: dict[str, Any] = (await bot.replies(ADMIN, count))[count - 1]
        assert "already in the corpus" in question["text"]
        labels = {
            b["text"]: b["callback_data"] for b in question["reply_markup"]["inline_keyboard"][0]
        }
        assert list(labels) == ["Replace", "Keep both", "Cancel"]
        assert (bot.settings.corpus_dir / name).read_bytes() != content.encode()  # not yet
        bot.api.press(question, user(ADMIN), labels[choice])
        return question

    question = await upload_and_choose(uploads[0], "Cancel", 1)
    cancelled = (await bot.replies(ADMIN, 2))[1]
    assert "not stored" in cancelled["text"]
    assert (bot.settings.corpus_dir / name).read_bytes() == article
    bot.api.press(question, user(ADMIN), "upload:" + "0" * 12 + ":replace")
    await bot.calls("answerCallbackQuery", 2)
    assert "expired" in str(bot.api.calls_of("answerCallbackQuery")[-1].params.get("text"))

    await upload_and_choose(uploads[1], "Keep both", 3)
    both = await finished(bot, ADMIN, 4)
    stem, suffix = name.rsplit(".", 1)
    assert both["text"].startswith(f"Saved {stem}-2.{suffix}")
    assert (bot.settings.corpus_dir / name).read_bytes() == article

    await upload_and_choose(uploads[2], "Replace", 5)
    replaced = await finished(bot, ADMIN, 6)
    assert replaced["text"].startswith(f"Replaced {name} (the old version is kept as .replaced/")
    assert (bot.settings.corpus_dir / name).read_text() == uploads[2]
    (aside,) = (bot.settings.corpus_dir / ".replaced").iterdir()
    assert aside.read_bytes() == article  # recoverable


async def test_upload_work_runs_off_the_event_loop(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsing, hashing and writing an upload (seconds for a 3,000-page PDF) never run on
    the event loop's thread, where every other user's answer waits."""
    import threading

    from bot import uploads

    threads: list[str] = []
    for name in ("check", "store"):
        original = getattr(uploads, name)

        def recording(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            threads.append(threading.current_thread().name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(uploads, name, recording)
    bot.api.document(private(ADMIN), user(ADMIN), "geysers.txt", GEYSERS.encode())
    await finished(bot, ADMIN, 1)
    loop_thread = threading.current_thread().name
    assert len(threads) == 2 and loop_thread not in threads


async def test_only_an_operator_may_answer_the_replace_question(bot: RunningBot) -> None:
    bot.api.document(private(ADMIN), user(ADMIN), ARTICLE.name, GEYSERS.encode())
    (question,) = await bot.replies(ADMIN, 1)
    replace = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    bot.api.press(question, user(READER), replace)
    answers = await bot.calls("answerCallbackQuery", 1)
    assert "Only the bot's operators" in str(answers[-1].params.get("text"))
    assert (bot.settings.corpus_dir / ARTICLE.name).read_bytes() == ARTICLE.read_bytes()
    bot.api.press(question, user(ADMIN), replace)  # still open for the operator
    done = await finished(bot, ADMIN, 2)
    assert done["text"].startswith("Replaced")


async def finished(bot: RunningBot, chat_id: int, count: int) -> dict[str, Any]:
    """The bot's ``count``-th message in the chat once it has been edited to say the index
    was updated."""

    def edited(api: FakeBotApi) -> dict[str, Any] | None:
        sent = api.sent(chat_id)
        if len(sent) >= count and "Index updated" in sent[count - 1]["text"]:
            return sent[count - 1]
        return None

    message: dict[str, Any] = await asyncio.to_thread(bot.api.wait_for, edited, 60)
    return message


async def test_non_admin_upload_is_refused_and_nothing_is_stored(bot: RunningBot) -> None:
    files_before = sorted(p.name for p in bot.settings.corpus_dir.iterdir())
    bot.api.document(private(READER), user(READER), "geysers.txt", GEYSERS.encode())
    reply = (await bot.replies(READER, 1))[0]
    assert "only the bot's operators" in reply["text"]
    refused = await ask_private(bot, READER, "/reindex")
    assert "only the bot's operators" in refused["text"]
    assert sorted(p.name for p in bot.settings.corpus_dir.iterdir()) == files_before
    assert bot.api.calls_of("getFile") == []  # not even downloaded


async def test_unsupported_and_oversized_uploads_are_refused(bot: RunningBot) -> None:
    files_before = sorted(p.name for p in bot.settings.corpus_dir.iterdir())
    bot.api.document(private(ADMIN), user(ADMIN), "photo.jpg", b"\xff\xd8\xff\xe0", "image/jpeg")
    bot.api.document(
        private(ADMIN), user(ADMIN), "big.txt", b"x" * 2048, declared_size=50 * 1024 * 1024
    )
    replies = await bot.replies(ADMIN, 2)
    texts = sorted(r["text"] for r in replies)
    assert any("cannot read .jpg" in t for t in texts)
    assert any("too large" in t for t in texts)
    assert sorted(p.name for p in bot.settings.corpus_dir.iterdir()) == files_before


# -- awkward input -------------------------------------------------------------------------------


async def test_a_question_over_4096_characters_gets_a_clear_reply(bot: RunningBot) -> None:
    reply = await ask_private(bot, READER, "Why " + "really " * 800 + "?")
    assert "too long" in reply["text"]


async def test_html_in_a_question_is_escaped(bot: RunningBot) -> None:
    question = "<b>When</b> was <i>Koryolink</i> established? <script>alert(1)</script> & co"
    reply = await ask_private(bot, READER, question)
    # The fake server refuses HTML Telegram would refuse, so a reply at all means valid HTML.
    assert "2008" in reply["text"]
    assert "<script>" not in html_of(reply)


async def test_a_sticker_gets_a_hint(bot: RunningBot) -> None:
    sticker = {
        "file_id": "sticker-1",
        "file_unique_id": "s1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    bot.api.message(private(READER), user(READER), sticker=sticker)
    reply = (await bot.replies(READER, 1))[0]
    assert "only answer questions written as text" in reply["text"]


async def test_an_edited_message_is_ignored_quietly(bot: RunningBot) -> None:
    bot.api.message(private(READER), user(READER), kind="edited_message", text="Hi", edit_date=1)
    await bot.idle()
    assert bot.api.sent(READER) == []
    assert await ask_private(bot, READER, "When did Hekla erupt?")  # still running


# -- a Bot API that fails ------------------------------------------------------------------------


async def test_server_errors_get_an_apology_and_the_bot_keeps_going(bot: RunningBot) -> None:
    bot.api.fail("sendMessage", 500, "Internal Server Error")
    bot.api.fail("sendChatAction", 502, "Bad Gateway")
    bot.api.text(private(READER), user(READER), "When was Koryolink established?")
    apology = (await bot.replies(READER, 1))[0]
    assert apology["text"].startswith("Sorry")
    reply = await ask_private(bot, READER, "When did Hekla erupt?")
    assert "2000" in reply["text"]


async def test_a_dropped_connection_on_send_is_retried_once(bot: RunningBot) -> None:
    bot.api.fail("sendMessage", 0, "connection dropped")
    reply = await ask_private(bot, READER, "When did Hekla erupt?")
    assert "2000" in reply["text"]
    assert len(bot.api.calls_of("sendMessage")) == 2


async def test_429_retry_after_is_honoured(bot: RunningBot) -> None:
    bot.api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    reply = await ask_private(bot, READER, "When did Hekla erupt?")
    assert "2000" in reply["text"]
    sends = bot.api.calls_of("sendMessage")
    assert len(sends) == 2 and sends[1].at - sends[0].at >= 0.9


async def test_get_updates_failures_are_retried(bot: RunningBot) -> None:
    bot.api.fail("getUpdates", 502, "Bad Gateway", times=2)
    reply = await ask_private(bot, READER, "When did Hekla erupt?")
    assert "2000" in reply["text"]


async def test_a_server_without_set_my_commands_does_not_stop_the_bot(
    template: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    root = tmp_path / "data"
    shutil.copytree(template, root, symlinks=True)
    with FakeBotApi() as api:
        api.fail("setMyCommands", 404, "Not Found: method not found")
        async with running_bot(api, _settings(root), real_embedder) as bot:
            reply = await ask_private(bot, READER, "When did Hekla erupt?")
            assert "2000" in reply["text"]


def test_fake_server_refuses_what_telegram_refuses() -> None:
    """The fake's checks are what make the HTML assertions above meaningful."""
    from tests.fakebotapi import ApiError, parse_telegram_html

    assert parse_telegram_html("<b>a &amp; b</b> &lt;c&gt;") == "a & b <c>"
    for bad in ["<b>open", "<script>x</script>", "a & b", "<b><i>x</b></i>", "1 < 2"]:
        with pytest.raises(ApiError):
            parse_telegram_html(bad)
    _ = bot_user()
