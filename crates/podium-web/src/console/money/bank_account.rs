//! Where a shop or licensor is paid — and where the operator remits a country's taxes: the
//! payee's bank details for payout files (an IBAN and BIC, or an account number and bank code
//! where IBANs are not used), checked as they are typed (IBAN check digits, BIC shape) and shown
//! back masked.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use podium_app::payouts::PayeeAccount;
use podium_domain::role::OrgKind;
use serde::Deserialize;

use crate::console::money::dashboards::{deny, member};
use crate::kit::context::Visitor;
use crate::kit::error::PageError;
use crate::kit::layout::Layout;
use crate::kit::render::render;
use crate::AppState;

pub fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/console/shops/{org}/bank-account", |s, v, p| page(s, v, p, OrgKind::Shop))
        .post("/console/shops/{org}/bank-account", |s, v, p, f| save(s, v, p, f, OrgKind::Shop))
        .get("/console/licensing/{org}/bank-account", |s, v, p| page(s, v, p, OrgKind::Licensor))
        .post("/console/licensing/{org}/bank-account", |s, v, p, f| save(s, v, p, f, OrgKind::Licensor))
        .get("/console/operator/tax-authorities/{country}/bank-account", |s, v, p| page(s, v, p, OrgKind::Operator))
        .post("/console/operator/tax-authorities/{country}/bank-account", |s, v, p, f| {
            save(s, v, p, f, OrgKind::Operator)
        })
}

/// Who is paid into the account: a shop or licensor (by its members), or a country's tax and
/// customs authorities (by the operator, who remits to them; the payee is the country's code).
struct Payee {
    id: String,
    name: String,
    back: String,
    action: String,
}

fn payee(v: &Visitor, slug: &str, kind: OrgKind) -> Option<Payee> {
    if kind == OrgKind::Operator {
        crate::kit::guards::operator_or(v).ok()?;
        let country = podium_domain::Country::parse(slug).ok()?;
        return Some(Payee {
            id: country.code().to_string(),
            name: v.tr.t1("payout-authority", "country", &v.tr.country(country)),
            back: "/console/operator/payouts".into(),
            action: format!("/console/operator/tax-authorities/{}/bank-account", country.code()),
        });
    }
    let org = member(v, slug, kind)?;
    let (back, action) = paths(kind, &org.slug);
    Some(Payee { id: org.id.clone(), name: org.name.clone(), back, action })
}

/// Why there is no payee: not signed in, not a member or not the operator — or, for the
/// operator, no such country.
fn refuse(v: Visitor, kind: OrgKind) -> Result<Response, PageError> {
    if kind == OrgKind::Operator {
        return match crate::kit::guards::operator_or(&v) {
            Err(r) => Ok(v.respond(*r)),
            Ok(()) => Err(PageError::not_found(v.tr.clone())),
        };
    }
    deny(v)
}

#[derive(Template)]
#[template(path = "bank_account.html")]
struct BankPage {
    layout: Layout,
    org_name: String,
    back: String,
    action: String,
    /// What is on file now, masked (`GB29 •••• 9268 19`).
    current: Option<String>,
    form: BankForm,
    error: Option<(String, String)>,
    saved: bool,
}

#[derive(Deserialize, Default, Clone)]
struct BankForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    holder: String,
    #[serde(default)]
    iban: String,
    #[serde(default)]
    bic: String,
    #[serde(default)]
    account_number: String,
    #[serde(default)]
    bank_code: String,
    #[serde(default)]
    country: String,
}

fn paths(kind: OrgKind, slug: &str) -> (String, String) {
    let base = if kind == OrgKind::Shop {
        format!("/console/shops/{slug}/money")
    } else {
        format!("/console/licensing/{slug}/royalties")
    };
    let action = if kind == OrgKind::Shop {
        format!("/console/shops/{slug}/bank-account")
    } else {
        format!("/console/licensing/{slug}/bank-account")
    };
    (base, action)
}

/// `GB29NWBK60161331926819` → `GB29 •••• 9268 19`: enough to recognise, not to copy.
fn masked(a: &PayeeAccount) -> String {
    let number = a.iban.as_deref().or(a.account_number.as_deref()).unwrap_or_default();
    let n = number.chars().count();
    let head: String = number.chars().take(4).collect();
    let tail: String = number.chars().skip(n.saturating_sub(6)).collect();
    let bic = a.bic.as_deref().or(a.bank_code.as_deref()).map(|b| format!(" · {b}")).unwrap_or_default();
    format!("{} — {head} •••• {tail}{bic}", a.holder)
}

async fn page(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    kind: OrgKind,
) -> Result<Response, PageError> {
    let Some(who) = payee(&v, &slug, kind) else { return refuse(v, kind) };
    let current = state.store.payee_account(&who.id).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
    let form = current
        .as_ref()
        .map(|a| BankForm { holder: a.holder.clone(), country: a.country.clone(), ..BankForm::default() })
        .unwrap_or_default();
    let saved = v.query.split('&').any(|p| p == "saved=1");
    let page = BankPage {
        layout: Layout::new(&v),
        org_name: who.name,
        back: who.back,
        action: who.action,
        current: current.as_ref().map(masked),
        form,
        error: None,
        saved,
    };
    Ok(render(v, StatusCode::OK, page))
}

async fn save(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Form(f): Form<BankForm>,
    kind: OrgKind,
) -> Result<Response, PageError> {
    v.check_csrf(&f.csrf_token)?;
    let Some(who) = payee(&v, &slug, kind) else { return refuse(v, kind) };
    let by = v.principal.as_ref().map(|p| p.user.email.clone()).unwrap_or_default();
    let typed = podium_app::payout_files::BankDetails {
        holder: &f.holder,
        country: &f.country,
        iban: &f.iban,
        bic: &f.bic,
        account_number: &f.account_number,
        bank_code: &f.bank_code,
    };
    let checked = podium_app::payout_files::check_account(&who.id, &typed, &by, state.clock.now());
    match checked {
        Ok(account) => {
            state.store.save_payee_account(&account).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
            Ok(v.respond(Redirect::to(&format!("{}?saved=1", who.action))))
        }
        Err(problem) => {
            let current = state.store.payee_account(&who.id).await.map_err(|e| PageError::internal(v.tr.clone(), e))?;
            let page = BankPage {
                layout: Layout::new(&v),
                org_name: who.name,
                back: who.back,
                action: who.action,
                current: current.as_ref().map(masked),
                form: BankForm { csrf_token: String::new(), ..f },
                error: Some((problem.field().to_string(), crate::kit::format::account_problem(&v.tr, &problem))),
                saved: false,
            };
            Ok(render(v, StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}
