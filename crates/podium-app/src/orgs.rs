//! Organisations (shops, licensors, the operator): their names are shown to fans beside the
//! products they sell, so a name cannot pass for another's.

use podium_domain::identity::{self, NameError};

use crate::ports::{NewOrg, Org, Store, StoreError};

/// The longest organisation name, in characters.
pub const MAX_ORG_NAME_CHARS: usize = 80;

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An organisation's name as stored: see [`identity::clean_name`].
pub fn clean_org_name(name: &str) -> Result<String, NameError> {
    identity::clean_name(name, MAX_ORG_NAME_CHARS)
}

/// Creates an organisation under a name that is visible, bidirectional controls removed, and
/// not a mixed-script look-alike.
pub async fn create_org(store: &dyn Store, org: NewOrg) -> Result<Org, OrgError> {
    let name = clean_org_name(&org.name)?;
    Ok(store.create_org(NewOrg { name, ..org }).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_names_are_cleaned_and_look_alikes_refused() {
        assert_eq!(clean_org_name("Hanok Threads 한옥").as_deref(), Ok("Hanok Threads 한옥"));
        assert_eq!(clean_org_name("Москва Сувениры").as_deref(), Ok("Москва Сувениры"));
        assert_eq!(clean_org_name("Thames\u{202E} Pin").as_deref(), Ok("Thames Pin"));
        assert_eq!(clean_org_name("Hаnok Threads"), Err(NameError::MixedScripts), "a Cyrillic а");
        assert_eq!(clean_org_name("\u{200B}"), Err(NameError::Length(MAX_ORG_NAME_CHARS)));
    }
}
