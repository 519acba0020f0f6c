"""The names of flag kinds, levels, review statuses and actions: English message ids, translated
where shown (pages through the ``flag_names`` template global, e-mails, feeds)."""

from __future__ import annotations

from powerlists.messages import N_

KIND_NAMES = {
    "due_soon": N_("due soon"),
    "step_overdue": N_("step overdue"),
    "promise_overdue": N_("promise broken"),
    "statutory_overdue": N_("statutory limit broken"),
    "off_list_power": N_("power not on the list"),
    "out_of_order": N_("steps out of order"),
    "skipped_step": N_("step skipped"),
    "backdated": N_("backdated record"),
    "fee_violation": N_("unlawful fee"),
    "unlawful_suspension": N_("unlawful suspension"),
    "stalled": N_("stalled"),
    "refused_without_reason": N_("refused without a reason"),
    "explanation_overdue": N_("explanation overdue"),
    "escalated": N_("escalated to red card"),
    "bad_review_overdue": N_("bad review not followed up"),
    "complaint": N_("complaint under review"),
}
LEVEL_NAMES = {"warning": N_("warning"), "yellow": N_("yellow card"), "red": N_("red card")}
STATUS_NAMES = {
    "open": N_("open"),
    "explanation_requested": N_("explanation requested"),
    "explained": N_("explained"),
    "confirmed": N_("violation confirmed"),
    "rectification_submitted": N_("rectification reported"),
    "closed": N_("closed"),
    "dismissed": N_("dismissed"),
    "exempted": N_("exempted"),
}
ACTION_NAMES = {
    "request_explanation": N_("request an explanation"),
    "confirm": N_("confirm the violation"),
    "dismiss": N_("dismiss (false positive)"),
    "exempt": N_("exempt (lawful reason)"),
    "reply": N_("reply"),
    "report_rectification": N_("report the rectification"),
    "accept_rectification": N_("accept the rectification"),
    "send_back": N_("send the rectification back"),
    "reopen": N_("reopen"),
}
GRADE_NAMES = {
    "excellent": N_("excellent (优秀)"),
    "good": N_("good (良好)"),
    "pass": N_("pass (合格)"),
    "fail": N_("fail (不合格)"),
}
