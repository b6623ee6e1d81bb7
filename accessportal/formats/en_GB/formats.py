# Dates as the portal writes them in English: 1 Dec 2026, and 1 Dec 2026 14:05 (24-hour clock).
# What is not set here is Django's own en_GB format.
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
