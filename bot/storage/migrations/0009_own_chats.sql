-- An invite redeemed in a group used to make the group the person's delivery chat, so their
-- alerts and check-ins went to everyone there. A person's chat is their own private chat,
-- whose id is their Telegram user id.
UPDATE people SET chat_id = telegram_user_id
WHERE telegram_user_id IS NOT NULL AND (chat_id IS NULL OR chat_id != telegram_user_id);
