"""Who may use the comprehensive window: window clerks (综合窗口受理人员) of a department. The rule
lives with the cases it lets them start (cases.permissions), so both apps apply the same one."""

from yiwang.cases.permissions import is_window_clerk

__all__ = ["is_window_clerk"]
