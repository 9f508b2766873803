"""The synthetic demo clinic: invented people only, created only by ``alongside demo``."""
