"""The domain. Never imports web/ or a plugin."""
