"""Running the portal for real: client addresses behind proxies, health, start-up checks, the audit chain."""
