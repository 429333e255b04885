//! How stored values are named to the user: triage statuses, closing reasons and severities in
//! the interface's language. The values themselves (in triage.json, reports' JSON, Kibana
//! exports) never change with the language; only these labels do.

use crate::i18n::t;
use crate::triage::Status;

/// A triage status as the interface names it (the saved value stays `Status::name`).
pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Open => t("status.open"),
        Status::Acknowledged => t("status.acknowledged"),
        Status::Closed => t("status.closed"),
    }
}

/// A closing reason as the interface names it (the saved value stays the English one).
pub fn reason_label(reason: &str) -> &str {
    match reason {
        "false_positive" => t("reason.false_positive"),
        "duplicate" => t("reason.duplicate"),
        "true_positive" => t("reason.true_positive"),
        "benign_positive" => t("reason.benign_positive"),
        "other" => t("reason.other"),
        unknown => unknown,
    }
}

/// A severity as the interface names it; an unknown one shows as it is.
pub fn severity_label(s: &str) -> &str {
    match s {
        "low" => t("severity.low"),
        "medium" => t("severity.medium"),
        "high" => t("severity.high"),
        "critical" => t("severity.critical"),
        other => other,
    }
}
