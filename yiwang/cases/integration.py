"""Seams to other bounded contexts that are wired later, so this app does not depend on them."""


def case_start_workflow(case):
    """Start the handling of a new case (pre-review task, clocks) in the workflow engine.

    Called once per case inside the submit transaction, so a failure rolls the submission back.
    A no-op for now: the lead wires it to yiwang.workflow (its service that instantiates the item's
    process definition for `case`)."""
    return None
