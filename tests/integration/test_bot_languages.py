"""End to end, in other languages (issue 14): the real bot over HTTP against the fake Bot API
server. The bot's own words follow the user's Telegram language; questions in other languages
are answered with the English quote (the index has the multilingual space)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from index.embedding import SentenceTransformerEmbedder
from index.engine import Engine
from index.multilingual import UseEmbedder
from tests.botharness import RunningBot, build_template, running_bot, template_settings
from tests.fakebotapi import FakeBotApi, private, user

pytestmark = pytest.mark.integration

RUSSIAN, GERMAN, BRAZILIAN, ENGLISH = 3003, 3004, 3005, 3006
LANGUAGE = {RUSSIAN: "ru", GERMAN: "de", BRAZILIAN: "pt-br", ENGLISH: None}


@pytest.fixture(scope="module")
def template(
    real_embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The bot's usual corpus, indexed with the multilingual space too."""
    root = build_template(tmp_path_factory.mktemp("languages"), real_embedder)
    settings = template_settings(root).model_copy(update={"multilingual": True})
    Engine(settings, real_embedder, UseEmbedder()).build()
    return root


@pytest.fixture
async def bot(
    template: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> AsyncIterator[RunningBot]:
    root = tmp_path / "data"
    shutil.copytree(template, root, symlinks=True)
    settings = template_settings(root).model_copy(update={"multilingual": True})
    with FakeBotApi() as api:
        async with running_bot(api, settings, real_embedder) as running:
            yield running


async def ask(bot: RunningBot, uid: int, text: str) -> dict[str, Any]:
    before = len(bot.api.sent(uid))
    bot.api.text(private(uid), user(uid, language_code=LANGUAGE[uid]), text)
    reply: dict[str, Any] = (await bot.replies(uid, before + 1))[before]
    return reply


async def test_a_russian_question_gets_the_english_quote(bot: RunningBot) -> None:
    reply = await ask(bot, RUSSIAN, "Когда была основана Koryolink?")
    html = reply.get("html") or reply["text"]
    assert "<b>" in html and "Koryolink was established in 2008" in html.split("<b>", 1)[1]
    # the buttons are in Russian; the quote is not translated
    assert [b["text"] for b in reply["reply_markup"]["inline_keyboard"][0]] == ["Ещё", "👍", "👎"]


async def test_a_chinese_question_gets_the_english_quote(bot: RunningBot) -> None:
    reply = await ask(bot, RUSSIAN, "Koryolink是什么时候成立的？")
    assert "Koryolink was established in 2008" in reply["text"]


async def test_the_bots_own_words_follow_the_users_language(bot: RunningBot) -> None:
    declined = await ask(bot, RUSSIAN, "Какая погода в Париже?")
    assert declined["text"].startswith("Я не нашёл этого в документах.")

    start = await ask(bot, GERMAN, "/start")
    assert start["text"].startswith("Hallo! Ich beantworte Fragen")
    assert "Ich kenne 2 Dokument(e):" in start["text"]
    help_ = await ask(bot, GERMAN, "/help")
    assert "So benutzen Sie mich" in help_["text"] and "@" in help_["text"]
    reset = await ask(bot, GERMAN, "/reset")
    assert reset["text"] == "Erledigt — ich habe unser Gespräch vergessen."
    too_long = await ask(bot, GERMAN, "Warum " * 1000)
    assert too_long["text"].startswith("Die Frage ist zu lang (5.999 Zeichen; die Grenze liegt")
    unknown = await ask(bot, RUSSIAN, "/frobnicate")
    assert unknown["text"].startswith("Я не знаю команды /frobnicate. /help покажет")

    # a language without a catalog (Brazilian Portuguese), and no language at all: English
    for uid in (BRAZILIAN, ENGLISH):
        reply = await ask(bot, uid, "What is the boiling point of mercury?")
        assert reply["text"].startswith("I could not find that in the documents.")


async def test_the_closest_passage_offer_is_in_the_users_language(bot: RunningBot) -> None:
    reply = await ask(bot, RUSSIAN, "Which cities get the upgrade first?")
    assert reply["text"].startswith("Я не нашёл этого")
    (button,) = reply["reply_markup"]["inline_keyboard"][0]
    assert button["text"] == "Ближайший отрывок"
    bot.api.press(reply, user(RUSSIAN, language_code="ru"), button["callback_data"])
    closest = (await bot.replies(RUSSIAN, 2))[1]
    assert closest["text"].startswith("Это не точный ответ")
    assert "Pyongyang" in closest["text"]
