# Dates as Chinese readers write them: 2026年12月1日, and 2026年12月1日 14:05 (24-hour clock).
# What is not set here is Django's own zh_Hans format.
DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
