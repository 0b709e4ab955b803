//! The marketplace's audit log as the operator reads it: every organisation's entries (the
//! operator's own — payout runs, imports — and every licensor's and shop's), newest first,
//! each with the organisation it belongs to.

use podium_domain::role::OrgKind;

use crate::licensing::AuditRecord;
use crate::ports::StoreResult;
use crate::Store;

/// The newest `limit` entries of every organisation's log, as (organisation name, entry).
pub async fn marketplace_log(store: &dyn Store, limit: i64) -> StoreResult<Vec<(String, AuditRecord)>> {
    let mut out: Vec<(String, AuditRecord)> = Vec::new();
    for kind in [OrgKind::Operator, OrgKind::Licensor, OrgKind::Shop] {
        for org in store.orgs_of_kind(kind).await? {
            out.extend(store.audit_log(&org.id, limit).await?.into_iter().map(|r| (org.name.clone(), r)));
        }
    }
    sort_newest_first(&mut out, limit);
    Ok(out)
}

fn sort_newest_first(log: &mut Vec<(String, AuditRecord)>, limit: i64) {
    log.sort_by(|a, b| b.1.created_at.cmp(&a.1.created_at).then_with(|| a.1.id.cmp(&b.1.id)));
    log.truncate(usize::try_from(limit).unwrap_or(0));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::licensing::AuditEntry;
    use time::OffsetDateTime;

    #[test]
    fn entries_of_every_organisation_read_newest_first_up_to_the_limit() {
        let at = |id: &str, secs: i64| AuditRecord {
            id: id.into(),
            entry: AuditEntry::default(),
            created_at: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(secs),
        };
        let mut log = vec![
            ("Team Kenya".to_string(), at("a", 10)),
            ("Podium".into(), at("b", 30)),
            ("Hanok".into(), at("c", 20)),
        ];
        sort_newest_first(&mut log, 2);
        let names: Vec<&str> = log.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Podium", "Hanok"]);
    }
}
