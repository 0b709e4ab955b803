//! The roles a signed-in user can hold. A user may hold several (a fan who also works in a shop).

use serde::{Deserialize, Serialize};

/// What an organisation is, and so what its members may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// A rights holder: owns properties, grants licences, approves products.
    Licensor,
    /// A licensee: a small business that makes and sells licensed products.
    Shop,
    /// The platform itself.
    Operator,
}

impl OrgKind {
    pub const ALL: [OrgKind; 3] = [OrgKind::Licensor, OrgKind::Shop, OrgKind::Operator];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Licensor => "licensor",
            OrgKind::Shop => "shop",
            OrgKind::Operator => "operator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The role a member of such an organisation holds.
    pub fn member_role(self) -> Role {
        match self {
            OrgKind::Licensor => Role::Licensor,
            OrgKind::Shop => Role::Merchant,
            OrgKind::Operator => Role::Operator,
        }
    }
}

/// A role, as the consoles see it. Every signed-in user is at least a fan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Fan,
    Merchant,
    Licensor,
    Operator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Fan => "fan",
            Role::Merchant => "merchant",
            Role::Licensor => "licensor",
            Role::Operator => "operator",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_kinds_round_trip_and_map_to_roles() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(OrgKind::parse("admin"), None);
        assert_eq!(OrgKind::Shop.member_role(), Role::Merchant);
        assert_eq!(OrgKind::Licensor.member_role(), Role::Licensor);
        assert_eq!(OrgKind::Operator.member_role(), Role::Operator);
    }
}
