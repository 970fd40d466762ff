"""Limits and fixed words of the comprehensive window (综合窗口)."""

# A found person's page link lives this long (settings HALL_PERSON_TOKEN_MAX_AGE, seconds).
PERSON_TOKEN_MAX_AGE = 30 * 60
PERSON_TOKEN_SALT = "yiwang.hall.person"  # noqa: S105 - a signing namespace, not a secret
# What the window reads to recognise the person in front of it: unconditional data (无条件共享).
PERSON_ELEMENTS = ["person.name", "person.sex", "person.birth_date", "person.id_number"]
LOOKUP_PURPOSE = "综合窗口受理"  # stored in the citizen's access log, in Chinese like the rest of it
# A pasted QR content: the bare token or the verification URL carrying it (licenses documents.verify_url).
MAX_TOKEN_LENGTH = 1000
SEARCH_RESULTS = 10
# Written on the acceptance in the case timeline (stored, so not translated).
WINDOW_ACCEPT_NOTE = "于综合窗口受理（无差别全科受理）"
