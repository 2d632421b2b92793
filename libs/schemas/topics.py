"""Topic names, versioned with the schema of what flows on them."""

FEEDBACK_RECEIVED = "feedback.received.v1"
FEEDBACK_ENRICHED = "feedback.enriched.v1"
FEEDBACK_TRIAGED = "feedback.triaged.v1"
FEEDBACK_DEDUPED = "feedback.deduped.v1"
FEEDBACK_OVERRIDDEN = "feedback.overridden.v1"
LAUNCH_COMMANDS = "launch.commands.v1"
TRIAGE_OVERRIDES = "triage.overrides.v1"
TRIAGE_RETRIAGE = "triage.retriage.v1"
LAUNCH_CHANGED = "launch.changed.v1"
LAUNCH_SHIPPED = "launch.shipped.v1"
NOTIFICATION_SENT = "notification.sent.v1"
NOTIFICATION_COMMANDS = "notification.commands.v1"
DEDUPE_COMMANDS = "dedupe.commands.v1"
DUPLICATES_CHANGED = "duplicates.changed.v1"
FEEDBACK_THEMED = "feedback.themed.v1"
THEMES_CHANGED = "themes.changed.v1"
FEEDBACK_SPLIT = "feedback.split.v1"
FEEDBACK_UPDATED = "feedback.updated.v1"
COMMAND_REJECTED = "command.rejected.v1"
DEAD_LETTER = "dead-letter.v1"

ALL = (
    FEEDBACK_RECEIVED,
    FEEDBACK_ENRICHED,
    FEEDBACK_TRIAGED,
    FEEDBACK_DEDUPED,
    FEEDBACK_OVERRIDDEN,
    LAUNCH_COMMANDS,
    TRIAGE_OVERRIDES,
    TRIAGE_RETRIAGE,
    LAUNCH_CHANGED,
    LAUNCH_SHIPPED,
    NOTIFICATION_SENT,
    NOTIFICATION_COMMANDS,
    DEDUPE_COMMANDS,
    DUPLICATES_CHANGED,
    FEEDBACK_THEMED,
    THEMES_CHANGED,
    FEEDBACK_SPLIT,
    FEEDBACK_UPDATED,
    COMMAND_REJECTED,
    DEAD_LETTER,
)
