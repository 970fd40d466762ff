"""The seam to the workflow engine: a submitted case starts its item's process."""

from yiwang.workflow import services as workflow

from .handling import SUBJECT_TYPE


def case_start_workflow(case):
    """Start the handling of a new case (pre-review task in the department's inbox). Called once per
    case inside the submit transaction, so a failure rolls the submission back."""
    definition = workflow.process_for_item(case.item_code)
    return workflow.instance_start(definition=definition, subject_type=SUBJECT_TYPE, subject_id=case.number,
                                   actor=case.submitted_by, title=case.item_name)
