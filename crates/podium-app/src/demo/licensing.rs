//! The demo's licensing programme: an agreement between every shop and each licensor whose
//! properties it sells, with territories and statuses that differ (worldwide, excluding Japan,
//! Korea and Kenya only, expired within its sell-off period, suspended, a draft); products
//! approved long ago, submissions waiting at every stage of National Olympic Committee of Kenya's
//! queue (some sent back with comments), an open revision, and code batches, some verified.

use podium_domain::approval::{Action, Actor, Stages, State};
use podium_domain::authenticity::Code;
use podium_domain::licensing::{AgreementStatus, Channel, RightsSet, Territory};
use podium_domain::Currency;
use rand::{Rng, SeedableRng};
use time::{Duration, OffsetDateTime};

use super::catalogue_data::{PROPERTIES, SHOPS};
use crate::catalogue::{ProductFilter, ProductRecord};
use crate::licensing::{
    AuditEntry, NewAgreement, NewBatch, NewEvent, NewSubmission, Proposal, SubmissionKind, SubmissionRecord, Transition,
};
use crate::ports::{Store, StoreError};

/// Every top-level category: a demo agreement grants them all.
const ALL_CATEGORIES: &[&str] =
    &["apparel", "pins-and-badges", "plush-and-mascots", "bags", "home", "collectibles", "stationery"];

#[derive(Clone, Copy)]
enum Shape {
    Worldwide,
    ExceptJapan,
    KoreaAndKenya,
    /// Ended ten days ago; its sell-off period runs for eighty more.
    Expired,
    Suspended,
}

/// (licensor, shop) pairs whose agreement is not the plain worldwide one.
const SHAPES: &[(&str, &str, Shape)] = &[
    ("team-kenya", "hanok-threads", Shape::KoreaAndKenya),
    ("team-kenya", "jade-lantern", Shape::ExceptJapan),
    ("team-kenya", "rocky-ridge", Shape::Expired),
    ("team-kenya", "thames-pin", Shape::Suspended),
];

/// (shop, property): products waiting in the licensor's queue, by item stem, with their stage
/// and any comments the licensor sent back.
const QUEUE: &[(&str, &str, &str, usize, Option<&str>)] = &[
    ("hanok-threads", "kenya-ice-lions", "poster", 0, None),
    ("hanok-threads", "kenya-ice-lions", "mug", 1, Some("The lion's mane reads as orange on the proof; use the pantone green of the crest, and keep the crest clear of the handle.")),
    ("hanok-threads", "kenya-ice-lions", "tote", 2, None),
    ("hanok-threads", "kenya-ice-lions", "plush", 3, None),
    ("savannah-stitch", "team-kenya", "poster", 0, Some("Please credit the photographer of the 1968 team picture on the poster and send the signed release.")),
    ("savannah-stitch", "team-kenya", "mug", 1, None),
    ("savannah-stitch", "team-kenya", "tote", 2, None),
    ("savannah-stitch", "team-kenya", "plush", 3, None),
    ("savannah-stitch", "kenya-ice-lions", "poster", 0, None),
];

fn code(slug: &str) -> String {
    slug.split('-').filter_map(|w| w.chars().next()).collect::<String>().to_uppercase()
}

fn audit(org_id: &str, action: &str, subject: &str) -> AuditEntry {
    AuditEntry {
        org_id: org_id.to_string(),
        actor_name: "Podium demo".into(),
        action: action.into(),
        subject: subject.into(),
        detail: String::new(),
        client: "demo".into(),
    }
}

fn event(action: &str, who: &str, comment: &str) -> NewEvent {
    NewEvent { action: action.into(), actor_name: who.into(), comment: comment.into(), attachments: Vec::new() }
}

/// Walks a new submission through `steps` (licensor decisions and resubmissions) from `start`.
async fn walk(
    store: &dyn Store,
    product: &ProductRecord,
    licensor_name: &str,
    start: OffsetDateTime,
    steps: &[(Action, &str)],
) -> Result<SubmissionRecord, StoreError> {
    let stages = Stages::default();
    let sub = store
        .create_submission(NewSubmission {
            product_id: product.id.clone(),
            shop_id: product.shop.id.clone(),
            licensor_id: product.property.licensor_id.clone(),
            kind: SubmissionKind::New,
            stages: stages.clone(),
            stage: 0,
            proposal: None,
            event: event("submitted", &product.shop.name, "Artwork and material samples attached to the listing."),
            at: start,
        })
        .await?;
    let mut state = State::new(0);
    let mut at = start;
    for (action, comment) in steps {
        at += Duration::hours(30);
        let actor = action.actor();
        let to = state.apply(*action, actor, &stages).map_err(|e| StoreError::Backend(e.to_string()))?;
        let who = if actor == Actor::Licensor { licensor_name } else { product.shop.name.as_str() };
        let name = if *action == Action::Resubmit { "resubmitted" } else { action.as_str() };
        // Every licensor decision is in the audit log, the demo's included.
        let audit = (actor == Actor::Licensor).then(|| AuditEntry {
            org_id: product.property.licensor_id.clone(),
            actor_name: who.to_string(),
            action: format!("submission.{}", action.as_str()),
            subject: format!("{} · {}", product.handle, stages.name(state.stage)),
            detail: comment.to_string(),
            client: "demo".into(),
        });
        let step = Transition { from: state, to, event: event(name, who, comment), proposal: None, audit, at };
        store.transition_submission(&sub.id, step).await?;
        state = to;
    }
    store.submission(&sub.id).await?.ok_or(StoreError::NotFound("demo submission"))
}

pub async fn seed(store: &dyn Store, now: OffsetDateTime) -> Result<(), StoreError> {
    let today = now.date();
    let properties = store.properties().await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    for (shop_slug, _, _, licensed) in SHOPS {
        let shop = store.org_by_slug(shop_slug).await?.ok_or(StoreError::NotFound("demo shop"))?;
        let mut licensors: Vec<&str> =
            licensed.iter().filter_map(|p| PROPERTIES.iter().find(|x| x.0 == *p).map(|x| x.1)).collect();
        licensors.sort();
        licensors.dedup();
        for licensor_slug in licensors {
            let licensor = store.org_by_slug(licensor_slug).await?.ok_or(StoreError::NotFound("demo licensor"))?;
            let shape = SHAPES
                .iter()
                .find(|(l, s, _)| *l == licensor_slug && s == shop_slug)
                .map(|t| t.2)
                .unwrap_or(Shape::Worldwide);
            let reference = format!("{}-{}-{}", code(licensor_slug), code(shop_slug), today.year() - 1);
            let agreement = store
                .create_agreement(
                    NewAgreement {
                        reference: reference.clone(),
                        licensor_id: licensor.id.clone(),
                        licensee_id: shop.id.clone(),
                        royalty_currency: Currency::parse(&licensor.currency).unwrap_or(Currency::EUR),
                        // Team Kenya's agreement with Hanok Threads has an advance and an annual
                        // minimum the shop's sales do not reach, so its statement shows both.
                        advance_minor: if matches!(shape, Shape::KoreaAndKenya) { 500_000 } else { 0 },
                        minimum_guarantee_minor: if matches!(shape, Shape::KoreaAndKenya) { 6_000_000 } else { 0 },
                    },
                    audit(&licensor.id, "agreement.create", &reference),
                )
                .await?;
            let (start, end, selloff) = match shape {
                Shape::Expired => {
                    (today - Duration::days(375), today - Duration::days(10), Some(today + Duration::days(80)))
                }
                _ => (today - Duration::days(365), today + Duration::days(730), Some(today + Duration::days(820))),
            };
            let territory = match shape {
                Shape::ExceptJapan => Territory::parse("worldwide except JP"),
                Shape::KoreaAndKenya => Territory::parse("KR, KE"),
                _ => Territory::parse("worldwide"),
            }
            .map_err(|e| StoreError::Backend(e.to_string()))?;
            let rights = RightsSet {
                id: format!("{}-1", agreement.terms.id),
                properties: properties
                    .iter()
                    .filter(|p| p.licensor_id == licensor.id && licensed.contains(&p.slug.as_str()))
                    .map(|p| p.id.clone())
                    .collect(),
                categories: ALL_CATEGORIES.iter().map(|c| c.to_string()).collect(),
                territory,
                channels: vec![Channel::Online, Channel::Retail],
                start,
                end,
                selloff_end: selloff,
                royalty_bp: 800 + 100 * (reference.len() as u32 % 5),
                exclusive: false,
            };
            store
                .save_rights_set(&agreement.terms.id, &rights, audit(&licensor.id, "agreement.rights", &reference))
                .await?;
            store
                .set_agreement_status(
                    &agreement.terms.id,
                    AgreementStatus::Draft,
                    AgreementStatus::Active,
                    audit(&licensor.id, "agreement.activate", &reference),
                )
                .await?;
            if matches!(shape, Shape::Suspended) {
                store
                    .set_agreement_status(
                        &agreement.terms.id,
                        AgreementStatus::Active,
                        AgreementStatus::Suspended,
                        AuditEntry {
                            detail: "Labels failed the hologram check; suspended until new stock is inspected.".into(),
                            ..audit(&licensor.id, "agreement.suspend", &reference)
                        },
                    )
                    .await?;
            }
        }
        // Products: approved two months ago with their history, or waiting in the queue.
        let (products, _) = store
            .products(&ProductFilter { shop_slug: Some(shop_slug.to_string()), limit: 500, ..Default::default() })
            .await?;
        for p in &products {
            let queued = QUEUE.iter().find(|(s, prop, stem, _, _)| {
                s == shop_slug && p.property.slug == *prop && p.handle.ends_with(&format!("-{stem}"))
            });
            let licensor_name = if p.property.licensor_slug == "team-kenya" {
                "Wanjiru Kamau"
            } else {
                p.property.licensor_name.as_str()
            };
            let start = now - Duration::days(70) + Duration::minutes((p.created_at.unix_timestamp() % 600) / 10);
            match queued {
                None if p.property.licensor_slug == "team-kenya" => {
                    let approve = [
                        (Action::Approve, "Concept approved."),
                        (Action::Approve, ""),
                        (Action::Approve, ""),
                        (Action::Approve, "Approved for sale."),
                    ];
                    walk(store, p, licensor_name, start, &approve).await?;
                }
                None => {
                    let approve =
                        [(Action::Approve, ""), (Action::Approve, ""), (Action::Approve, ""), (Action::Approve, "")];
                    walk(store, p, licensor_name, start, &approve).await?;
                }
                Some((_, _, _, stage, comment)) => {
                    let waiting = now - Duration::hours(20 + 26 * *stage as i64);
                    let mut steps: Vec<(Action, &str)> = Vec::new();
                    for _ in 0..*stage {
                        steps.push((Action::Approve, ""));
                    }
                    if let Some(c) = comment {
                        steps.push((Action::RequestRevision, c));
                    }
                    let start = waiting - Duration::hours(30 * steps.len() as i64);
                    walk(store, p, licensor_name, start, &steps).await?;
                }
            }
        }
        // An approved product with a revision waiting: a new title proposed.
        if *shop_slug == "savannah-stitch" {
            if let Some(p) = products.iter().find(|p| p.property.slug == "team-kenya" && p.handle.ends_with("-tee")) {
                let mut proposal = crate::licensing::proposal_from(p);
                for t in &mut proposal.translations {
                    if t.lang == podium_domain::Lang::En {
                        t.title = format!("{} — Nairobi 2026 edition", t.title);
                    }
                }
                let stages = Stages::default();
                store
                    .create_submission(NewSubmission {
                        product_id: p.id.clone(),
                        shop_id: p.shop.id.clone(),
                        licensor_id: p.property.licensor_id.clone(),
                        kind: SubmissionKind::Revision,
                        stage: stages.revision_start(),
                        stages,
                        proposal: Some(Proposal(proposal).to_json()),
                        event: event("submitted", &p.shop.name, "New title for the 2026 run; artwork unchanged."),
                        at: now - Duration::hours(5),
                    })
                    .await?;
            }
        }
        // Code batches for approved Team Kenya products, some verified by fans.
        let mut verified_plan: &[&[&str]] = &[];
        let batch_product = products.iter().find(|p| {
            p.property.licensor_slug == "team-kenya"
                && (p.handle.ends_with("-cap") || p.handle.ends_with("-tee"))
                && QUEUE.iter().all(|q| !(q.0 == *shop_slug && q.1 == p.property.slug && p.handle.ends_with(q.2)))
        });
        if *shop_slug == "savannah-stitch" {
            verified_plan = &[&["KE", "KE"], &["KE", "GB"], &[""], &["KE"]];
        } else if *shop_slug == "hanok-threads" {
            verified_plan = &[&["KR"]];
        }
        if let (Some(p), false) = (batch_product, verified_plan.is_empty()) {
            let Some(variant) = p.variants.first() else { continue };
            let codes: Vec<String> = (0..24).map(|_| Code::from_random(rng.gen()).as_str().to_string()).collect();
            let batch = store
                .issue_codes(
                    NewBatch {
                        licensor_id: p.property.licensor_id.clone(),
                        shop_id: p.shop.id.clone(),
                        product_id: p.id.clone(),
                        variant_id: variant.id.clone(),
                        issued_by: "Wanjiru Kamau".into(),
                        at: now - Duration::days(20),
                    },
                    &codes,
                    AuditEntry {
                        detail: format!("24 codes to {}", p.shop.name),
                        ..audit(&p.property.licensor_id, "codes.issue", &format!("{} {}", p.slug, variant.sku))
                    },
                )
                .await?;
            let listed = store.batch_codes(&batch.id).await?;
            for (c, countries) in listed.iter().zip(verified_plan.iter()) {
                for (i, country) in countries.iter().enumerate() {
                    let at = now - Duration::days(6) + Duration::days(2 * i as i64);
                    store.record_verification(&c.code, country, &format!("demo-client-{i}"), at).await?;
                }
            }
        }
    }
    Ok(())
}
