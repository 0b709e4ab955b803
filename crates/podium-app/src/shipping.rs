//! Shipping profiles as merchants keep them (DESIGN §3.6): the `ShippingStore` port and the use
//! cases the merchant console calls. The rules themselves are in `podium_domain::shipping`.

use async_trait::async_trait;
use podium_domain::shipping::{ShippingError, ShippingProfile};
use podium_domain::Currency;

use crate::ports::{StoreError, StoreResult};
use crate::Store;

#[async_trait]
pub trait ShippingStore: Send + Sync {
    /// The shop's profiles, the default first, then by name.
    async fn shipping_profiles(&self, shop_id: &str) -> StoreResult<Vec<ShippingProfile>>;
    /// Creates (an empty `id`) or replaces one of the shop's profiles with its zones, in one
    /// transaction; a default profile takes over from the shop's previous default. Announces
    /// `shipping.changed` so every node re-indexes the shop. `Conflict { field: "name" }` when
    /// another profile of the shop has the name; `NotFound` when the id is not the shop's.
    async fn save_shipping_profile(&self, shop_id: &str, profile: &ShippingProfile) -> StoreResult<ShippingProfile>;
    /// Deletes a profile that is not the default; its products fall back to the default.
    async fn delete_shipping_profile(&self, shop_id: &str, profile_id: &str) -> StoreResult<()>;
    /// The ids of every product of the shop (a profile change moves them all).
    async fn product_ids_of_shop(&self, shop_id: &str) -> StoreResult<Vec<String>>;
    /// Gives these products of the shop a profile of their own (`None`: the shop's default).
    /// Returns how many products changed.
    async fn assign_shipping_profile(
        &self,
        shop_id: &str,
        product_ids: &[String],
        profile_id: Option<&str>,
    ) -> StoreResult<u64>;
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error(transparent)]
    Invalid(#[from] ShippingError),
    #[error("another profile is already called “{0}”")]
    NameTaken(String),
    #[error("the shop’s default profile cannot be deleted; make another profile the default first")]
    DeleteDefault,
    #[error("no such shipping profile")]
    NotFound,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ProfileError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => ProfileError::NotFound,
            other => ProfileError::Store(other),
        }
    }
}

/// Checks and saves a profile of a shop that prices in `currency`. A shop always keeps one
/// default: the first profile is the default whatever the form said, and un-ticking the
/// current default is refused by keeping it.
pub async fn save_profile(
    store: &dyn Store,
    shop_id: &str,
    currency: Currency,
    mut profile: ShippingProfile,
) -> Result<ShippingProfile, ProfileError> {
    profile.name = profile.name.trim().to_string();
    profile.validate(currency)?;
    let existing = store.shipping_profiles(shop_id).await?;
    if !existing.iter().any(|p| p.is_default && p.id != profile.id) {
        profile.is_default = true;
    }
    match store.save_shipping_profile(shop_id, &profile).await {
        Err(StoreError::Conflict { .. }) => Err(ProfileError::NameTaken(profile.name)),
        other => Ok(other?),
    }
}

pub async fn delete_profile(store: &dyn Store, shop_id: &str, profile_id: &str) -> Result<(), ProfileError> {
    let profiles = store.shipping_profiles(shop_id).await?;
    match profiles.iter().find(|p| p.id == profile_id) {
        None => Err(ProfileError::NotFound),
        Some(p) if p.is_default => Err(ProfileError::DeleteDefault),
        Some(_) => Ok(store.delete_shipping_profile(shop_id, profile_id).await?),
    }
}
