"""The words for levels, dimensions and channels (message ids; templates translate them with ``_``)."""

from __future__ import annotations

from powerlists.messages import N_
from tracker.ratings.models import Channel, Level

LEVEL_NAMES = {
    int(Level.very_satisfied): N_("Very satisfied"),
    int(Level.satisfied): N_("Satisfied"),
    int(Level.fairly_satisfied): N_("Fairly satisfied"),
    int(Level.dissatisfied): N_("Dissatisfied"),
    int(Level.very_dissatisfied): N_("Very dissatisfied"),
}
DIMENSION_NAMES = {
    "efficiency": N_("Efficiency"),
    "guidance": N_("Accuracy of the guidance"),
    "convenience": N_("Convenience"),
    "attitude": N_("Attitude"),
}
CHANNEL_NAMES = {
    Channel.web.value: N_("this website"),
    Channel.window.value: N_("service window"),
    Channel.self_service.value: N_("self-service terminal"),
    Channel.mobile.value: N_("mobile app"),
    Channel.phone.value: N_("telephone"),
    Channel.sms.value: N_("text message"),
    Channel.online.value: N_("the department's website"),
}
