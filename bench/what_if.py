"""Patches the submit benchmark can apply, each named in its results, to measure a change before it
is made in the owning app:

- `license_lock`: licenses.services.license_use locks the licence row only (`of=("self",)`), as
  cases.services._locked_draft does, instead of the licence and every row it joins (licence type,
  issuing department, signing key).
- `stamp_deferred`: the stamped copy (加注件) PDF is not rendered inside the submit: license_use
  hashes a stand-in of the same content instead (the licence token and the stamp text), as it would
  if the PDF were rendered after commit (a Celery task) or on first download.
  (`license_lock` and `stamp_deferred` are what the code does since 2026-11: kept to re-run old
  comparisons; they change nothing now.)
- `seal_deferred`: audit entries are not sealed (chained) right after each commit by the committing
  process; the periodic job seals them in batches instead, so the submit's process does not pay
  the sealer's transaction (lock, anchor, read back, update) per submit.
"""

import os


def _license_lock() -> None:
    from django.db.models.query import QuerySet

    from yiwang.licenses.models import License

    original = QuerySet.select_for_update

    def select_for_update(self, nowait=False, skip_locked=False, of=(), no_key=False):
        if self.model is License and not of:
            of = ("self",)
        return original(self, nowait=nowait, skip_locked=skip_locked, of=of, no_key=no_key)

    QuerySet.select_for_update = select_for_update


def _stamp_deferred() -> None:
    from yiwang.licenses import documents

    def license_pdf(license, *, token, stamp_text, **kwargs):
        return f"{license.identifier}\n{token}\n{stamp_text}".encode()

    documents.license_pdf = license_pdf


def _seal_deferred() -> None:
    from yiwang.audit import services

    services._seal_after_commit = lambda: None


PATCHES = {"license_lock": _license_lock, "stamp_deferred": _stamp_deferred,
           "seal_deferred": _seal_deferred}


def install(names) -> None:
    for name in names:
        PATCHES[name]()


def install_from_env() -> None:
    install([n for n in os.environ.get("BENCH_PATCHES", "").split(",") if n])
