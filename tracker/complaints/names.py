"""The words for complaint statuses and for the stages the complainant is shown (message ids;
templates translate them with ``_`` through the ``complaint_names`` global)."""

from __future__ import annotations

from powerlists.messages import N_

STATUS_NAMES = {
    "received": N_("waiting for a decision"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
}
STAGE_NAMES = {
    "received": N_("Received, waiting for the supervisors' decision"),
    "declined": N_("Declined"),
    "reviewing": N_("Accepted, under review"),
    "upheld": N_("Upheld: the department must rectify"),
    "rectified": N_("Upheld and rectified"),
    "not_upheld": N_("Reviewed, not upheld"),
}
STAGE_HELP = {
    "received": N_("The supervisors decide whether to take it up by the date shown."),
    "declined": N_("The supervisors did not take the complaint up, for the reason given."),
    "reviewing": N_("The supervisors are looking into it and may ask the department to explain."),
    "upheld": N_("The supervisors found a violation. The department must put it right by the date shown."),
    "rectified": N_("The supervisors found a violation, and accepted the department's rectification."),
    "not_upheld": N_("The supervisors looked into it and found no violation, for the reason given."),
}
