"""The staff dashboard: a Telegram Mini App (and a browser page via /web's link) served by the
bot's own process, showing each staff member their scope, audited like the chat views."""
