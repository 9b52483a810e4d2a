"""The Telegram bot (see bot.app)."""
