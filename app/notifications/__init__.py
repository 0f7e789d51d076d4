"""In-app notifications and their email copies (SMTP, sent from the `emails` queue)."""
