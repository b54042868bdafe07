"""The chat surfaces of the service: the HTTP chat API (``api``), the Channel Talk webhook
(``channeltalk``) and the web chat page (``page``), all over one conversation engine per shop
(``runtime``); who may call them is ``access``. See docs/CHAT.md."""
