//! The authorization matrix: every route Podium serves (`podium_web::route_table`), asked by
//! every kind of caller, each getting what their role allows and no more.
//!
//! Callers: anonymous, a fan with orders, another fan, the merchant of shop A and of shop B, the
//! licensor X of shop A's licences and an unrelated licensor Y, and the operator. Each route's
//! entry below names who may use it; everyone else must be refused (401, 403, 404, or sent to
//! sign in). Requests carry real ids of shop A's and licensor X's things, and valid bodies with
//! each caller's own CSRF token, so a refusal comes from the permission check and not from a
//! malformed request. Where a route takes both an organisation and an id, shop B's merchant (or
//! licensor Y) also tries A's (or X's) id through their own organisation's URL.
//!
//! A route added to the router without an entry here fails `every_route_has_an_entry`.

mod common;

use std::collections::{BTreeSet, HashMap};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{png, shop, Reply, TestApp};
use podium_app::licensing::{self, ActingUser, NewAttachment, SubmissionFilter};
use podium_app::payouts::PayoutStore;
use podium_app::stories::StoryQuery;
use podium_app::Store;
use podium_domain::approval::Action;
use podium_store::testing::Backend;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Who {
    Anonymous,
    Fan,
    OtherFan,
    MerchantA,
    MerchantB,
    LicensorX,
    LicensorY,
    Operator,
}

use Who::*;

const EVERYONE: [Who; 8] = [Anonymous, Fan, OtherFan, MerchantA, MerchantB, LicensorX, LicensorY, Operator];

/// Who may use a route.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone: no one is refused for who they are.
    Public,
    /// Anyone, and the answer depends only on what was sent (a signature, credentials): only
    /// a server error would be wrong.
    Open,
    /// Anyone signed in.
    SignedIn,
    /// These callers, and no one else.
    Only(&'static [Who]),
}

impl Rule {
    fn allows(self, who: Who) -> bool {
        match self {
            Rule::Public | Rule::Open => true,
            Rule::SignedIn => who != Anonymous,
            Rule::Only(list) => list.contains(&who),
        }
    }
}

/// What a request sends besides its URL.
#[derive(Debug, Clone, Copy)]
enum Send {
    Nothing,
    /// A form; the caller's CSRF token is added.
    Form(&'static [(&'static str, &'static str)]),
    /// A multipart form with a PNG as `file`; the CSRF token is added.
    Upload(&'static [(&'static str, &'static str)]),
    Json(&'static str),
}

struct Entry {
    method: Method,
    /// The route's pattern, as in the route table.
    route: &'static str,
    /// The URL asked, with `$name` standing for the fixture's ids.
    url: &'static str,
    send: Send,
    rule: Rule,
    /// Another caller trying the same thing through their own organisation's URL: refused.
    cross: Option<(Who, &'static str)>,
}

const fn e(method: Method, route: &'static str, url: &'static str, send: Send, rule: Rule) -> Entry {
    Entry { method, route, url, send, rule, cross: None }
}

const SHOP_A: Rule = Rule::Only(&[MerchantA]);
const LICENSOR_X: Rule = Rule::Only(&[LicensorX]);
const OPERATOR: Rule = Rule::Only(&[Operator]);
const FAN: Rule = Rule::Only(&[Fan]);
const NONE: Send = Send::Nothing;
const CSRF: Send = Send::Form(&[]);

fn matrix() -> Vec<Entry> {
    use Method as M;
    let get = M::GET;
    let post = M::POST;
    vec![
        // The storefront: anyone.
        e(get.clone(), "/", "/", NONE, Rule::Public),
        e(get.clone(), "/signin", "/signin", NONE, Rule::Public),
        e(
            post.clone(),
            "/signin",
            "/signin",
            Send::Form(&[("email", "nobody@podium.example"), ("password", "wrong-password-1")]),
            Rule::Open,
        ),
        e(get.clone(), "/signup", "/signup", NONE, Rule::Public),
        e(
            post.clone(),
            "/signup",
            "/signup",
            Send::Form(&[("email", "not-an-email"), ("password", "x"), ("name", "")]),
            Rule::Open,
        ),
        e(get.clone(), "/signup/confirm", "/signup/confirm?token=00", NONE, Rule::Open),
        e(post.clone(), "/signup/confirm", "/signup/confirm", Send::Form(&[("token", "00")]), Rule::Open),
        e(get.clone(), "/console", "/console", NONE, Rule::SignedIn),
        e(get.clone(), "/console/{role}", "/console/fan", NONE, Rule::SignedIn),
        e(get.clone(), "/static/podium.css", "/static/podium.css", NONE, Rule::Public),
        e(get.clone(), "/static/story.js", "/static/story.js", NONE, Rule::Public),
        e(get.clone(), "/static/drop.js", "/static/drop.js", NONE, Rule::Public),
        e(get.clone(), "/products", "/products", NONE, Rule::Public),
        e(get.clone(), "/products/{slug}", "/products/$productA", NONE, Rule::Public),
        e(get.clone(), "/products/{slug}/art.svg", "/products/$productA/art.svg", NONE, Rule::Public),
        e(
            post.clone(),
            "/products/{slug}/variant",
            "/products/$productA/variant",
            Send::Form(&[("sku", "$skuA")]),
            Rule::Public,
        ),
        e(get.clone(), "/static/product.js", "/static/product.js", NONE, Rule::Public),
        e(get.clone(), "/static/stripe-checkout.js", "/static/stripe-checkout.js", NONE, Rule::Public),
        // Stripe's pages answer 404 on a sandbox marketplace, to everyone alike.
        e(
            get.clone(),
            "/checkout/stripe/{id}/authenticate",
            "/checkout/stripe/pi_unknown/authenticate",
            NONE,
            Rule::Open,
        ),
        e(get.clone(), "/checkout/stripe/{id}/return", "/checkout/stripe/pi_unknown/return", NONE, Rule::Open),
        e(get.clone(), "/checkout/return", "/checkout/return?payment_intent=pi_unknown", NONE, Rule::Open),
        e(get.clone(), "/properties/{slug}", "/properties/$propertyX", NONE, Rule::Public),
        e(get.clone(), "/categories/{slug}", "/categories/apparel", NONE, Rule::Public),
        e(get.clone(), "/shops/{slug}", "/shops/hanok-threads", NONE, Rule::Public),
        e(get.clone(), "/cart", "/cart", NONE, Rule::Public),
        e(post.clone(), "/cart/add", "/cart/add", Send::Form(&[("sku", "$skuA"), ("quantity", "1")]), Rule::Public),
        e(post.clone(), "/cart/lines", "/cart/lines", Send::Form(&[("sku", "$skuA"), ("quantity", "1")]), Rule::Public),
        e(get.clone(), "/checkout", "/checkout", NONE, Rule::Public),
        e(post.clone(), "/checkout/address", "/checkout/address", CSRF, Rule::Open),
        e(post.clone(), "/checkout/place", "/checkout/place", CSRF, Rule::Open),
        e(post.clone(), "/sandbox/cards", "/sandbox/cards", CSRF, Rule::Open),
        e(get.clone(), "/sandbox/payments/{id}/confirm", "/sandbox/payments/pay_unknown/confirm", NONE, Rule::Open),
        e(post.clone(), "/sandbox/payments/{id}/confirm", "/sandbox/payments/pay_unknown/confirm", CSRF, Rule::Open),
        e(get.clone(), "/search", "/search?q=tee", NONE, Rule::Public),
        e(get.clone(), "/stories", "/stories", NONE, Rule::Public),
        e(get.clone(), "/stories/{slug}", "/stories/$storySlugX", NONE, Rule::Public),
        e(get.clone(), "/unsubscribe", "/unsubscribe?u=x&s=y", NONE, Rule::Open),
        e(get.clone(), "/properties/{slug}/feed.atom", "/properties/$propertyX/feed.atom", NONE, Rule::Public),
        e(get.clone(), "/shops/{slug}/feed.atom", "/shops/hanok-threads/feed.atom", NONE, Rule::Public),
        e(get.clone(), "/stories/feed.atom", "/stories/feed.atom", NONE, Rule::Public),
        e(get.clone(), "/products/{slug}/art.png", "/products/$productA/art.png", NONE, Rule::Public),
        e(get.clone(), "/robots.txt", "/robots.txt", NONE, Rule::Public),
        e(get.clone(), "/sitemap.xml", "/sitemap.xml", NONE, Rule::Public),
        // Parts exist only past 50,000 addresses; the demo's sitemap is one file.
        e(get.clone(), "/sitemaps/{part}", "/sitemaps/1.xml", NONE, Rule::Open),
        e(get.clone(), "/.well-known/security.txt", "/.well-known/security.txt", NONE, Rule::Public),
        e(get.clone(), "/favicon.ico", "/favicon.ico", NONE, Rule::Open),
        e(get.clone(), "/static/favicon.svg", "/static/favicon.svg", NONE, Rule::Public),
        e(get.clone(), "/static/og.png", "/static/og.png", NONE, Rule::Public),
        e(get.clone(), "/static/icon.png", "/static/icon.png", NONE, Rule::Public),
        e(get.clone(), "/manifest.webmanifest", "/manifest.webmanifest", NONE, Rule::Public),
        e(get.clone(), "/drops/{id}", "/drops/$dropA", NONE, Rule::Public),
        e(get.clone(), "/verify", "/verify", NONE, Rule::Public),
        e(get.clone(), "/verify/{code}", "/verify/ABCDEFGHJKMNP", NONE, Rule::Open),
        e(get.clone(), "/01/{gtin}/21/{serial}", "/01/04006381333931/21/ABCDEFGHJKMNP", NONE, Rule::Open),
        e(get.clone(), "/media/{id}", "/media/$imageA", NONE, Rule::Public),
        e(get.clone(), "/media/{id}/thumb", "/media/$imageA/thumb", NONE, Rule::Public),
        e(get.clone(), "/healthz", "/healthz", NONE, Rule::Public),
        e(get.clone(), "/readyz", "/readyz", NONE, Rule::Public),
        e(get.clone(), "/metrics", "/metrics", NONE, Rule::Public),
        // A fan's own things.
        e(get.clone(), "/orders/{number}", "/orders/$orderA", NONE, FAN),
        e(
            post.clone(),
            "/orders/{number}/returns",
            "/orders/$orderA/returns",
            Send::Form(&[("reason", "too small")]),
            FAN,
        ),
        e(post.clone(), "/orders/{number}/abandon", "/orders/$orderA/abandon", Send::Form(&[]), FAN),
        e(get.clone(), "/account/orders", "/account/orders", NONE, Rule::SignedIn),
        e(
            post.clone(),
            "/follow",
            "/follow",
            Send::Form(&[("kind", "shop"), ("target", "$shopAId"), ("follow", "1")]),
            Rule::SignedIn,
        ),
        e(get.clone(), "/feed", "/feed", NONE, Rule::SignedIn),
        e(get.clone(), "/account/follows", "/account/follows", NONE, Rule::SignedIn),
        e(post.clone(), "/account/notifications", "/account/notifications", CSRF, Rule::SignedIn),
        e(post.clone(), "/drops/{id}/join", "/drops/$dropA/join", CSRF, Rule::SignedIn),
        e(post.clone(), "/drops/{id}/notify", "/drops/$dropA/notify", CSRF, Rule::SignedIn),
        // Shop A's console: its merchant only.
        e(get.clone(), "/console/shops/{shop}", "/console/shops/hanok-threads", NONE, SHOP_A),
        e(
            post.clone(),
            "/console/shops/{shop}/story",
            "/console/shops/hanok-threads/story",
            Send::Form(&[("story", "Made in Seoul.")]),
            SHOP_A,
        ),
        e(get.clone(), "/console/shops/{shop}/products/new", "/console/shops/hanok-threads/products/new", NONE, SHOP_A),
        e(post.clone(), "/console/shops/{shop}/products", "/console/shops/hanok-threads/products", CSRF, SHOP_A),
        Entry {
            cross: Some((MerchantB, "/console/shops/savannah-stitch/products/$handleA")),
            ..e(
                get.clone(),
                "/console/shops/{shop}/products/{handle}",
                "/console/shops/hanok-threads/products/$handleA",
                NONE,
                SHOP_A,
            )
        },
        Entry {
            cross: Some((MerchantB, "/console/shops/savannah-stitch/products/$handleA")),
            ..e(
                post.clone(),
                "/console/shops/{shop}/products/{handle}",
                "/console/shops/hanok-threads/products/$handleA",
                CSRF,
                SHOP_A,
            )
        },
        Entry {
            cross: Some((MerchantB, "/console/shops/savannah-stitch/products/$handleA/images")),
            ..e(
                post.clone(),
                "/console/shops/{shop}/products/{handle}/images",
                "/console/shops/hanok-threads/products/$handleA/images",
                Send::Upload(&[("alt", "Front")]),
                SHOP_A,
            )
        },
        Entry {
            cross: Some((MerchantB, "/console/shops/savannah-stitch/products/$handleA/images/$imageA/delete")),
            ..e(
                post.clone(),
                "/console/shops/{shop}/products/{handle}/images/{id}/delete",
                "/console/shops/hanok-threads/products/$handleA/images/$imageA/delete",
                CSRF,
                SHOP_A,
            )
        },
        e(get.clone(), "/console/shops/{shop}/export.csv", "/console/shops/hanok-threads/export.csv", NONE, SHOP_A),
        e(
            post.clone(),
            "/console/shops/{shop}/import",
            "/console/shops/hanok-threads/import",
            Send::Upload(&[]),
            SHOP_A,
        ),
        e(get.clone(), "/console/shops/{shop}/codes", "/console/shops/hanok-threads/codes", NONE, SHOP_A),
        e(
            post.clone(),
            "/console/shops/{shop}/code-requests",
            "/console/shops/hanok-threads/code-requests",
            CSRF,
            SHOP_A,
        ),
        e(get.clone(), "/console/shops/{shop}/shipping", "/console/shops/hanok-threads/shipping", NONE, SHOP_A),
        e(get.clone(), "/console/shops/{shop}/rounding", "/console/shops/hanok-threads/rounding", NONE, SHOP_A),
        e(post.clone(), "/console/shops/{shop}/rounding", "/console/shops/hanok-threads/rounding", CSRF, SHOP_A),
        e(post.clone(), "/console/shops/{shop}/shipping", "/console/shops/hanok-threads/shipping", CSRF, SHOP_A),
        Entry {
            cross: Some((MerchantB, "/console/shops/savannah-stitch/shipping/$profileA/delete")),
            ..e(
                post.clone(),
                "/console/shops/{shop}/shipping/{id}/delete",
                "/console/shops/hanok-threads/shipping/$profileA/delete",
                CSRF,
                SHOP_A,
            )
        },
        e(
            post.clone(),
            "/console/shops/{shop}/shipping/assign",
            "/console/shops/hanok-threads/shipping/assign",
            CSRF,
            SHOP_A,
        ),
        e(get.clone(), "/console/shops/{shop}/orders", "/console/shops/hanok-threads/orders", NONE, SHOP_A),
        Entry {
            cross: Some((MerchantB, "/console/shops/savannah-stitch/orders/$consignmentA")),
            ..e(
                get.clone(),
                "/console/shops/{shop}/orders/{id}",
                "/console/shops/hanok-threads/orders/$consignmentA",
                NONE,
                SHOP_A,
            )
        },
        Entry {
            cross: Some((MerchantB, "/console/shops/savannah-stitch/orders/$consignmentA/accept")),
            ..e(
                post.clone(),
                "/console/shops/{shop}/orders/{id}/{step}",
                "/console/shops/hanok-threads/orders/$consignmentA/accept",
                CSRF,
                SHOP_A,
            )
        },
        Entry {
            cross: Some((MerchantB, "/console/shops/savannah-stitch/orders/$consignmentA/returns/$returnA/refuse")),
            ..e(
                post.clone(),
                "/console/shops/{shop}/orders/{id}/returns/{rid}/{decision}",
                "/console/shops/hanok-threads/orders/$consignmentA/returns/$returnA/refuse",
                CSRF,
                SHOP_A,
            )
        },
        e(get.clone(), "/console/shops/{shop}/money", "/console/shops/hanok-threads/money", NONE, SHOP_A),
        e(get.clone(), "/console/shops/{org}/bank-account", "/console/shops/hanok-threads/bank-account", NONE, SHOP_A),
        e(
            post.clone(),
            "/console/shops/{org}/bank-account",
            "/console/shops/hanok-threads/bank-account",
            Send::Form(&[("holder", "Hanok Threads"), ("iban", "DE89370400440532013000")]),
            SHOP_A,
        ),
        e(get.clone(), "/console/shops/{shop}/drops", "/console/shops/hanok-threads/drops", NONE, SHOP_A),
        e(post.clone(), "/console/shops/{shop}/drops", "/console/shops/hanok-threads/drops", CSRF, SHOP_A),
        Entry {
            cross: Some((MerchantB, "/console/shops/savannah-stitch/drops/$dropA/close")),
            ..e(
                post.clone(),
                "/console/shops/{shop}/drops/{id}/close",
                "/console/shops/hanok-threads/drops/$dropA/close",
                CSRF,
                SHOP_A,
            )
        },
        e(get.clone(), "/console/shops/{shop}/licences", "/console/shops/hanok-threads/licences", NONE, SHOP_A),
        Entry {
            cross: Some((MerchantB, "/console/shops/savannah-stitch/products/$handleA/submit")),
            ..e(
                post.clone(),
                "/console/shops/{shop}/products/{handle}/submit",
                "/console/shops/hanok-threads/products/$handleA/submit",
                CSRF,
                SHOP_A,
            )
        },
        Entry {
            cross: Some((MerchantB, "/console/shops/savannah-stitch/submissions/$submissionX/resubmit")),
            ..e(
                post.clone(),
                "/console/shops/{shop}/submissions/{id}/resubmit",
                "/console/shops/hanok-threads/submissions/$submissionX/resubmit",
                CSRF,
                SHOP_A,
            )
        },
        // Stories: the members of the organisation that writes them.
        e(get.clone(), "/console/stories/{org}", "/console/stories/hanok-threads", NONE, SHOP_A),
        e(post.clone(), "/console/stories/{org}", "/console/stories/hanok-threads", CSRF, SHOP_A),
        e(
            post.clone(),
            "/console/stories/{org}/images",
            "/console/stories/hanok-threads/images",
            Send::Upload(&[]),
            SHOP_A,
        ),
        Entry {
            cross: Some((MerchantB, "/console/stories/savannah-stitch/$storyA")),
            ..e(get.clone(), "/console/stories/{org}/{id}", "/console/stories/hanok-threads/$storyA", NONE, SHOP_A)
        },
        Entry {
            cross: Some((MerchantB, "/console/stories/savannah-stitch/$storyA")),
            ..e(post.clone(), "/console/stories/{org}/{id}", "/console/stories/hanok-threads/$storyA", CSRF, SHOP_A)
        },
        Entry {
            cross: Some((MerchantB, "/console/stories/savannah-stitch/$storyA/publish")),
            ..e(
                post.clone(),
                "/console/stories/{org}/{id}/publish",
                "/console/stories/hanok-threads/$storyA/publish",
                CSRF,
                SHOP_A,
            )
        },
        Entry {
            cross: Some((MerchantB, "/console/stories/savannah-stitch/$storyA/withdraw")),
            ..e(
                post.clone(),
                "/console/stories/{org}/{id}/withdraw",
                "/console/stories/hanok-threads/$storyA/withdraw",
                CSRF,
                SHOP_A,
            )
        },
        // Licensor X's console: its licensors only.
        e(get.clone(), "/console/licensing/{org}", "/console/licensing/team-kenya", NONE, LICENSOR_X),
        Entry {
            cross: Some((LicensorY, "/console/licensing/pyeongchang-2018/submissions/$submissionX")),
            ..e(
                get.clone(),
                "/console/licensing/{org}/submissions/{id}",
                "/console/licensing/team-kenya/submissions/$submissionX",
                NONE,
                LICENSOR_X,
            )
        },
        Entry {
            cross: Some((LicensorY, "/console/licensing/pyeongchang-2018/submissions/$submissionX/decide")),
            ..e(
                post.clone(),
                "/console/licensing/{org}/submissions/{id}/decide",
                "/console/licensing/team-kenya/submissions/$submissionX/decide",
                Send::Upload(&[("action", "request_revision"), ("comment", "Brighter green, please.")]),
                LICENSOR_X,
            )
        },
        e(
            get.clone(),
            "/console/licensing/{org}/agreements",
            "/console/licensing/team-kenya/agreements",
            NONE,
            LICENSOR_X,
        ),
        e(
            post.clone(),
            "/console/licensing/{org}/agreements",
            "/console/licensing/team-kenya/agreements",
            CSRF,
            LICENSOR_X,
        ),
        Entry {
            cross: Some((LicensorY, "/console/licensing/pyeongchang-2018/agreements/$agreementXA")),
            ..e(
                get.clone(),
                "/console/licensing/{org}/agreements/{id}",
                "/console/licensing/team-kenya/agreements/$agreementXA",
                NONE,
                LICENSOR_X,
            )
        },
        Entry {
            cross: Some((LicensorY, "/console/licensing/pyeongchang-2018/agreements/$agreementXA/status")),
            ..e(
                post.clone(),
                "/console/licensing/{org}/agreements/{id}/status",
                "/console/licensing/team-kenya/agreements/$agreementXA/status",
                Send::Form(&[("to", "active")]),
                LICENSOR_X,
            )
        },
        Entry {
            cross: Some((LicensorY, "/console/licensing/pyeongchang-2018/agreements/$agreementXA/rights")),
            ..e(
                post.clone(),
                "/console/licensing/{org}/agreements/{id}/rights",
                "/console/licensing/team-kenya/agreements/$agreementXA/rights",
                CSRF,
                LICENSOR_X,
            )
        },
        e(get.clone(), "/console/licensing/{org}/codes", "/console/licensing/team-kenya/codes", NONE, LICENSOR_X),
        e(post.clone(), "/console/licensing/{org}/codes", "/console/licensing/team-kenya/codes", CSRF, LICENSOR_X),
        Entry {
            cross: Some((LicensorY, "/console/licensing/pyeongchang-2018/codes/$batchX/codes.csv")),
            ..e(
                get.clone(),
                "/console/licensing/{org}/codes/{batch}/codes.csv",
                "/console/licensing/team-kenya/codes/$batchX/codes.csv",
                NONE,
                LICENSOR_X,
            )
        },
        Entry {
            cross: Some((LicensorY, "/console/licensing/pyeongchang-2018/codes/$batchX/labels.svg")),
            ..e(
                get.clone(),
                "/console/licensing/{org}/codes/{batch}/labels.svg",
                "/console/licensing/team-kenya/codes/$batchX/labels.svg",
                NONE,
                LICENSOR_X,
            )
        },
        e(get.clone(), "/console/licensing/{org}/audit", "/console/licensing/team-kenya/audit", NONE, LICENSOR_X),
        e(
            post.clone(),
            "/console/licensing/{org}/properties",
            "/console/licensing/team-kenya/properties",
            CSRF,
            LICENSOR_X,
        ),
        e(post.clone(), "/console/licensing/{org}/stages", "/console/licensing/team-kenya/stages", CSRF, LICENSOR_X),
        e(
            get.clone(),
            "/console/licensing/{org}/royalties",
            "/console/licensing/team-kenya/royalties",
            NONE,
            LICENSOR_X,
        ),
        e(get.clone(), "/console/licensing/{org}/stories", "/console/licensing/team-kenya/stories", NONE, LICENSOR_X),
        e(
            get.clone(),
            "/console/licensing/{org}/bank-account",
            "/console/licensing/team-kenya/bank-account",
            NONE,
            LICENSOR_X,
        ),
        e(
            post.clone(),
            "/console/licensing/{org}/bank-account",
            "/console/licensing/team-kenya/bank-account",
            Send::Form(&[("holder", "Team Kenya"), ("iban", "GB29NWBK60161331926819")]),
            LICENSOR_X,
        ),
        Entry {
            cross: Some((LicensorY, "/console/licensing/pyeongchang-2018/stories/$storyA/review")),
            ..e(
                post.clone(),
                "/console/licensing/{org}/stories/{id}/review",
                "/console/licensing/team-kenya/stories/$storyA/review",
                Send::Form(&[("decision", "approve")]),
                LICENSOR_X,
            )
        },
        e(
            post.clone(),
            "/console/properties/{slug}/emblem",
            "/console/properties/$propertyX/emblem",
            Send::Upload(&[]),
            LICENSOR_X,
        ),
        // Shared between the parties of one agreement or submission.
        e(
            get.clone(),
            "/console/statements/{agreement}",
            "/console/statements/$agreementXA",
            NONE,
            Rule::Only(&[MerchantA, LicensorX]),
        ),
        e(
            get.clone(),
            "/console/attachments/{id}",
            "/console/attachments/$attachmentX",
            NONE,
            Rule::Only(&[MerchantA, LicensorX]),
        ),
        e(get.clone(), "/console/payouts/{id}", "/console/payouts/$payout", NONE, OPERATOR),
        // The operator's console.
        e(get.clone(), "/console/operator/payouts", "/console/operator/payouts", NONE, OPERATOR),
        e(post.clone(), "/console/operator/payouts", "/console/operator/payouts", CSRF, OPERATOR),
        e(
            get.clone(),
            "/console/operator/payout-files/{id}",
            "/console/operator/payout-files/run_auth-EUR",
            NONE,
            OPERATOR,
        ),
        e(
            post.clone(),
            "/console/operator/payout-files/{id}/accept",
            "/console/operator/payout-files/run_auth-EUR/accept",
            CSRF,
            OPERATOR,
        ),
        e(get.clone(), "/console/operator/payouts/preview", "/console/operator/payouts/preview", NONE, OPERATOR),
        e(
            get.clone(),
            "/console/operator/tax-authorities/{country}/bank-account",
            "/console/operator/tax-authorities/KR/bank-account",
            NONE,
            OPERATOR,
        ),
        e(
            post.clone(),
            "/console/operator/tax-authorities/{country}/bank-account",
            "/console/operator/tax-authorities/KR/bank-account",
            CSRF,
            OPERATOR,
        ),
        e(get.clone(), "/console/operator/money", "/console/operator/money", NONE, OPERATOR),
        e(get.clone(), "/console/operator/trade-rules", "/console/operator/trade-rules", NONE, OPERATOR),
        e(post.clone(), "/console/operator/trade-rules", "/console/operator/trade-rules", Send::Upload(&[]), OPERATOR),
        e(post.clone(), "/console/operator/rates", "/console/operator/rates", Send::Upload(&[]), OPERATOR),
        e(
            post.clone(),
            "/console/operator/rates/manual",
            "/console/operator/rates/manual",
            Send::Form(&[("currency", "KES"), ("per_eur", "136.5"), ("source", "test")]),
            OPERATOR,
        ),
        // The API.
        e(get.clone(), "/api/docs", "/api/docs", NONE, Rule::Public),
        e(get.clone(), "/api/docs/{*rest}", "/api/docs/index.html", NONE, Rule::Public),
        e(get.clone(), "/api/v1/openapi.json", "/api/v1/openapi.json", NONE, Rule::Public),
        e(
            post.clone(),
            "/api/v1/sessions",
            "/api/v1/sessions",
            Send::Json(r#"{"email":"nobody@podium.example","password":"wrong-password-1"}"#),
            Rule::Open,
        ),
        e(get.clone(), "/api/v1/me", "/api/v1/me", NONE, Rule::SignedIn),
        e(get.clone(), "/api/v1/context", "/api/v1/context", NONE, Rule::Public),
        e(get.clone(), "/api/v1/fx/rates", "/api/v1/fx/rates", NONE, Rule::Public),
        e(get.clone(), "/api/v1/fx/convert", "/api/v1/fx/convert?amount=10&from=EUR&to=JPY", NONE, Rule::Public),
        e(get.clone(), "/api/v1/products", "/api/v1/products", NONE, Rule::Public),
        e(get.clone(), "/api/v1/products/{slug}", "/api/v1/products/$productA", NONE, Rule::Public),
        e(get.clone(), "/api/v1/suggest", "/api/v1/suggest?q=te", NONE, Rule::Public),
        e(
            post.clone(),
            "/api/v1/quotes",
            "/api/v1/quotes",
            Send::Json(r#"{"country":"JP","lines":[{"sku":"hanok-threads:$skuA","quantity":1}]}"#),
            Rule::Public,
        ),
        e(post.clone(), "/api/v1/carts", "/api/v1/carts", Send::Json(r#"{"country":"JP"}"#), Rule::Public),
        e(get.clone(), "/api/v1/carts/{id}", "/api/v1/carts/$cart", NONE, Rule::Public),
        e(
            post.clone(),
            "/api/v1/carts/{id}/lines",
            "/api/v1/carts/$cart/lines",
            Send::Json(r#"{"sku":"hanok-threads:$skuA","quantity":1}"#),
            Rule::Public,
        ),
        e(post.clone(), "/api/v1/carts/{id}/checkout", "/api/v1/carts/$cart/checkout", Send::Json("{}"), Rule::Open),
        e(get.clone(), "/api/v1/orders", "/api/v1/orders", NONE, Rule::SignedIn),
        e(get.clone(), "/api/v1/orders/{number}", "/api/v1/orders/$orderA", NONE, FAN),
        e(
            post.clone(),
            "/api/v1/orders/{number}/returns",
            "/api/v1/orders/$orderA/returns",
            Send::Json(
                r#"{"consignment":"$consignmentA","lines":[{"line":"$lineA","quantity":1}],"reason":"Too big"}"#,
            ),
            FAN,
        ),
        e(get.clone(), "/api/v1/shops/{shop}/consignments", "/api/v1/shops/hanok-threads/consignments", NONE, SHOP_A),
        e(
            post.clone(),
            "/api/v1/consignments/{id}/accept",
            "/api/v1/consignments/$consignmentA/accept",
            Send::Json("{}"),
            SHOP_A,
        ),
        e(
            post.clone(),
            "/api/v1/consignments/{id}/ship",
            "/api/v1/consignments/$consignmentA/ship",
            Send::Json(r#"{"carrier":"CJ","tracking":"1","units":{}}"#),
            SHOP_A,
        ),
        e(
            post.clone(),
            "/api/v1/consignments/{id}/deliver",
            "/api/v1/consignments/$consignmentA/deliver",
            Send::Json("{}"),
            SHOP_A,
        ),
        e(
            post.clone(),
            "/api/v1/consignments/{id}/returns/{rid}/accept",
            "/api/v1/consignments/$consignmentA/returns/$returnA2/accept",
            Send::Json(r#"{"restock":false}"#),
            SHOP_A,
        ),
        e(
            post.clone(),
            "/api/v1/webhooks/sandbox",
            "/api/v1/webhooks/sandbox",
            Send::Json(r#"{"id":"evt_1","type":"payment.captured"}"#),
            Rule::Open,
        ),
        e(
            post.clone(),
            "/api/v1/webhooks/stripe",
            "/api/v1/webhooks/stripe",
            Send::Json(r#"{"id":"evt_1","type":"payment_intent.succeeded"}"#),
            Rule::Open,
        ),
        e(get.clone(), "/api/v1/authenticity/{code}", "/api/v1/authenticity/ABCDEFGHJKMNP", NONE, Rule::Open),
        // Accounts.
        e(get.clone(), "/account/security", "/account/security", NONE, Rule::SignedIn),
        e(get.clone(), "/account/password", "/account/password", NONE, Rule::Public),
        e(
            post.clone(),
            "/account/password",
            "/account/password",
            Send::Form(&[
                ("current", "not-the-password"),
                ("password", "a new password 1"),
                ("confirm", "a new password 1"),
            ]),
            Rule::SignedIn,
        ),
        e(get.clone(), "/password/forgot", "/password/forgot", NONE, Rule::Public),
        e(
            post.clone(),
            "/password/forgot",
            "/password/forgot",
            Send::Form(&[("email", "nobody@podium.example")]),
            Rule::Open,
        ),
        e(get.clone(), "/password/reset", "/password/reset?token=00", NONE, Rule::Open),
        e(
            post.clone(),
            "/password/reset",
            "/password/reset",
            Send::Form(&[("token", "00"), ("password", "x"), ("confirm", "x")]),
            Rule::Open,
        ),
        // API tokens: the organisation's members.
        e(get.clone(), "/console/tokens/{org}", "/console/tokens/hanok-threads", NONE, SHOP_A),
        e(
            post.clone(),
            "/console/tokens/{org}",
            "/console/tokens/hanok-threads",
            Send::Form(&[("name", "Warehouse"), ("scope", "orders:read")]),
            SHOP_A,
        ),
        Entry {
            cross: Some((MerchantB, "/console/tokens/savannah-stitch/$tokenA/revoke")),
            ..e(
                post.clone(),
                "/console/tokens/{org}/{id}/revoke",
                "/console/tokens/hanok-threads/$tokenA/revoke",
                CSRF,
                SHOP_A,
            )
        },
        e(get.clone(), "/api/v1/shops/{shop}/products.csv", "/api/v1/shops/hanok-threads/products.csv", NONE, SHOP_A),
        e(
            post.clone(),
            "/api/v1/shops/{shop}/products.csv",
            "/api/v1/shops/hanok-threads/products.csv",
            Send::Json("Handle,Title"),
            SHOP_A,
        ),
        e(
            get.clone(),
            "/api/v1/licensors/{org}/submissions",
            "/api/v1/licensors/team-kenya/submissions",
            NONE,
            LICENSOR_X,
        ),
        e(get.clone(), "/console/operator/audit", "/console/operator/audit", NONE, OPERATOR),
        // Last: these end the caller's session.
        e(post.clone(), "/account/sessions/end", "/account/sessions/end", CSRF, Rule::SignedIn),
        e(M::DELETE, "/api/v1/sessions/current", "/api/v1/sessions/current", NONE, Rule::Open),
        e(post.clone(), "/signout", "/signout", CSRF, Rule::Open),
    ]
}

#[test]
fn every_route_has_an_entry() {
    let table: BTreeSet<(String, String)> =
        podium_web::route_table().into_iter().map(|r| (r.method.to_string(), r.path)).collect();
    let entries: BTreeSet<(String, String)> =
        matrix().iter().map(|e| (e.method.to_string(), e.route.to_string())).collect();
    let missing: Vec<_> = table.difference(&entries).collect();
    let stale: Vec<_> = entries.difference(&table).collect();
    assert!(missing.is_empty(), "routes with no entry in the authorization matrix: {missing:?}");
    assert!(stale.is_empty(), "matrix entries for routes that no longer exist: {stale:?}");
    assert_eq!(matrix().len(), table.len(), "one entry per route");
}

/// A caller with their own cookies and CSRF token.
struct Caller {
    app: TestApp,
    csrf: String,
}

async fn caller(base: &TestApp, who: Who) -> Caller {
    let mut app = base.clone_app();
    let credentials = match who {
        Anonymous => None,
        Fan => Some(("fan@podium.example", "fan-demo-2026")),
        OtherFan => Some(("other-fan@podium.example", "other-fan-pass-2026")),
        MerchantA => Some(("merchant@podium.example", "merchant-demo-2026")),
        MerchantB => Some(("merchant-b@podium.example", "merchant-b-pass-2026")),
        LicensorX => Some(("licensor@podium.example", "licensor-demo-2026")),
        LicensorY => Some(("licensor-y@podium.example", "licensor-y-pass-2026")),
        Operator => Some(("operator@podium.example", "operator-demo-2026")),
    };
    if let Some((email, password)) = credentials {
        let r = app.sign_in(email, password).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{who:?} signs in: {}", r.body);
    }
    let page = app.get("/signin").await;
    let csrf = if page.body.contains("name=\"csrf_token\"") { page.csrf() } else { app.get("/").await.csrf() };
    Caller { app, csrf }
}

/// Ids of shop A's and licensor X's things, and a few more, for the `$name`s in the URLs.
async fn fixture(app: &mut TestApp, merchant_a: &mut Caller, fan: &mut Caller) -> HashMap<&'static str, String> {
    let store = app.db.store.clone();
    let store: &dyn Store = store.as_ref();
    let mut f = HashMap::new();
    let shop_a = store.org_by_slug("hanok-threads").await.expect("read").expect("shop A");
    let x = store.org_by_slug("team-kenya").await.expect("read").expect("licensor X");
    let merchant_user = store.user_by_email("merchant@podium.example").await.expect("read").expect("merchant A");

    let product = store
        .product_by_slug("hanok-threads-pyeongchang-2018-white-tiger-tee")
        .await
        .expect("read")
        .expect("shop A's product");
    f.insert("productA", product.slug.clone());
    f.insert("handleA", product.handle.clone());
    f.insert("skuA", product.variants[0].sku.clone());
    let upload = format!("/console/shops/hanok-threads/products/{}/images", product.handle);
    let r = common::post_multipart(
        &mut merchant_a.app,
        &upload,
        &[("csrf_token", &merchant_a.csrf), ("alt", "Front")],
        ("front.png", &png(64, 64)),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "image upload: {}", r.body);
    let product = store.product_by_slug(&product.slug).await.expect("read").expect("product");
    f.insert("imageA", product.images.last().expect("the uploaded image").id.clone());

    // The fan buys a tee from shop A; the shop delivers it; the fan asks to return it.
    let auth = [("x-csrf-token", fan.csrf.as_str())];
    let cart = shop::cart(&mut fan.app, "KR", &[(shop::KR_TEE, 3)]).await;
    let placed =
        fan.app.post_json(&format!("/api/v1/carts/{cart}/checkout"), shop::body("4242424242424242"), &auth).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let order = placed.json()["order"].clone();
    let number = order["number"].as_str().expect("number").to_string();
    let consignment = shop::deliver_first_parcel(app, &order, shop::KR_TEE, 3).await;
    let line = order["consignments"][0]["lines"][0]["id"].as_str().expect("line").to_string();
    // Two returns of one unit each: one for the console to decide, one for the API.
    let mut returns = Vec::new();
    for _ in 0..2 {
        let ret = serde_json::json!({"consignment": consignment, "lines": [{"line": line, "quantity": 1}], "reason": "Too small"});
        let r = fan.app.post_json(&format!("/api/v1/orders/{number}/returns"), ret, &auth).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let ids = r.json()["consignments"][0]["returns"]
            .as_array()
            .expect("returns")
            .iter()
            .filter_map(|r| r["id"].as_str().map(String::from))
            .collect::<Vec<_>>();
        returns.push(ids.into_iter().find(|id| !returns.contains(id)).expect("the new return"));
    }
    let ret = returns[0].clone();
    f.insert("returnA2", returns[1].clone());
    f.insert("lineA", line);
    f.insert("shopAId", shop_a.id.clone());
    let order = number;
    f.insert("consignmentA", consignment);
    f.insert("orderA", order);
    f.insert("returnA", ret);

    f.insert("dropA", store.drops_of_shop(&shop_a.id).await.expect("drops")[0].id.clone());
    let stories_of = |author: String| StoryQuery { author_id: Some(author), ..Default::default() };
    f.insert("storyA", store.stories(&stories_of(shop_a.id.clone())).await.expect("stories")[0].id.clone());
    f.insert("storySlugX", store.stories(&stories_of(x.id.clone())).await.expect("stories")[0].slug.clone());
    f.insert("profileA", store.shipping_profiles(&shop_a.id).await.expect("profiles")[0].id.clone());

    let filter = SubmissionFilter {
        licensor_id: Some(x.id.clone()),
        shop_id: Some(shop_a.id.clone()),
        product_id: None,
        open_only: true,
    };
    let submission = store.submissions(&filter).await.expect("submissions")[0].clone();
    let who = ActingUser { name: "Wanjiru Kamau".into(), ..Default::default() };
    let attachment = NewAttachment { filename: "proof.png".into(), content_type: "image/png".into(), bytes: png(8, 8) };
    let decided = licensing::decide(
        store,
        &who,
        &x.id,
        &submission.id,
        Action::RequestRevision,
        "Greener, please.",
        vec![attachment],
    )
    .await
    .expect("a decision with an attachment");
    let attachment = decided.events.iter().flat_map(|e| e.attachments.iter()).next().expect("attachment");
    f.insert("attachmentX", attachment.id.clone());
    f.insert("submissionX", submission.id.clone());
    let agreement = store
        .agreements_of(&x.id)
        .await
        .expect("agreements")
        .into_iter()
        .find(|a| a.licensee.id == shop_a.id)
        .expect("X licenses A");
    f.insert("agreementXA", agreement.terms.id.clone());
    f.insert("batchX", store.code_batches(&x.id).await.expect("batches")[0].id.clone());
    let property = store.properties().await.expect("properties").into_iter().find(|p| p.licensor_id == x.id);
    f.insert("propertyX", property.expect("X's property").slug);

    let mut operator = caller(app, Operator).await;
    let preview = operator.app.get("/console/operator/payouts/preview").await;
    let mut fields = preview.form_fields("/console/operator/payouts");
    fields.push(("confirm".into(), "yes".into()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = operator.app.post_form("/console/operator/payouts", &fields).await;
    assert!(run.status.is_redirection(), "payout run: {}", run.body);
    // The fan's tee paid royalties to its licensor (not one of the callers): a payout that only
    // the operator among them may read.
    let payouts = store.payouts(None, 20).await.expect("payouts");
    let payout =
        payouts.iter().find(|p| p.payee_name == "International Olympic Committee").expect("the royalty payout");
    f.insert("payout", payout.id.clone());

    let maker = podium_app::security::Actor {
        user_id: merchant_user.id.clone(),
        name: "Ji-woo Han".into(),
        client: "test".into(),
    };
    let scopes = [podium_app::security::Scope::ReadOrders];
    let (_, token) =
        podium_app::security::create_token(store, &shop_a.id, &maker, "Old till", &scopes, OffsetDateTime::now_utc())
            .await
            .expect("a token of shop A's");
    f.insert("tokenA", token.id);

    let cart = app.post_json("/api/v1/carts", serde_json::json!({"country": "JP"}), &[]).await;
    assert_eq!(cart.status, StatusCode::CREATED, "{}", cart.body);
    f.insert("cart", cart.json()["id"].as_str().expect("cart id").to_string());
    f
}

fn fill(template: &str, f: &HashMap<&'static str, String>) -> String {
    let mut out = template.to_string();
    // Longest names first, so `$storyA` is not taken for part of a longer name.
    let mut names: Vec<_> = f.keys().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for name in names {
        out = out.replace(&format!("${name}"), &f[name]);
    }
    assert!(!out.contains('$'), "unfilled name in {out}");
    out
}

async fn ask(c: &mut Caller, method: &Method, url: &str, send: Send, f: &HashMap<&'static str, String>) -> Reply {
    let mut req = Request::builder().method(method.clone()).uri(url).header("x-csrf-token", c.csrf.clone());
    let body = match send {
        Send::Nothing => Body::empty(),
        Send::Form(fields) => {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.append_pair("csrf_token", &c.csrf);
            for (k, v) in fields {
                s.append_pair(k, &fill(v, f));
            }
            Body::from(s.finish())
        }
        Send::Upload(fields) => {
            let boundary = "podiumauthzboundary";
            req = req.header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"));
            let mut body = Vec::new();
            let csrf = [("csrf_token", c.csrf.as_str())];
            for (k, v) in csrf.iter().copied().chain(fields.iter().copied()) {
                body.extend(
                    format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
                );
            }
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend(png(16, 16));
            body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
            Body::from(body)
        }
        Send::Json(json) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(fill(json, f))
        }
    };
    c.app.send(req.body(body).expect("request")).await
}

/// Refused: 401, 403 or 404, or sent to sign in (and come back).
fn refused(r: &Reply) -> bool {
    let to = r.header("location");
    matches!(r.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
        || (r.status.is_redirection() && (to == "/signin" || to.starts_with("/signin?next=")))
}

async fn the_matrix_holds(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    let store = app.db.store.clone();
    for (email, password, name, org) in [
        ("other-fan@podium.example", "other-fan-pass-2026", "Sam Other", None),
        ("merchant-b@podium.example", "merchant-b-pass-2026", "Amani Njoroge", Some("savannah-stitch")),
        ("licensor-y@podium.example", "licensor-y-pass-2026", "Min-seo Lee", Some("pyeongchang-2018")),
    ] {
        let user = podium_app::accounts::sign_up(store.as_ref(), email, password, name).await.expect("sign up");
        if let Some(slug) = org {
            let org = store.org_by_slug(slug).await.expect("read").expect("org");
            store.add_membership(&user.id, &org.id).await.expect("member");
        }
    }
    // A bank file for the operator's pages to open and accept.
    let file = podium_app::payouts::PayoutFile {
        id: "run_auth-EUR".into(),
        run_id: "run_auth".into(),
        currency: "EUR".into(),
        transfers: 0,
        total: 0,
        body: "<Document/>".into(),
        status: "written".into(),
        created_at: time::OffsetDateTime::now_utc(),
    };
    store.save_payout_file(&file).await.expect("file");
    let mut callers = HashMap::new();
    for who in EVERYONE {
        callers.insert(who, caller(&app, who).await);
    }
    let mut merchant_a = callers.remove(&MerchantA).expect("merchant A");
    let mut fan = callers.remove(&Fan).expect("fan");
    let f = fixture(&mut app, &mut merchant_a, &mut fan).await;
    callers.insert(MerchantA, merchant_a);
    app.catch_up().await;
    callers.insert(Fan, fan);

    let mut failures = Vec::new();
    let mut asked = 0;
    let entries = matrix();
    // Reads first, then changes; within a route, those refused before those allowed.
    let order =
        entries.iter().filter(|e| e.method == Method::GET).chain(entries.iter().filter(|e| e.method != Method::GET));
    for entry in order {
        let url = fill(entry.url, &f);
        let mut whos = EVERYONE.to_vec();
        whos.sort_by_key(|w| entry.rule.allows(*w));
        for who in whos {
            let c = callers.get_mut(&who).expect("caller");
            let r = ask(c, &entry.method, &url, entry.send, &f).await;
            asked += 1;
            let allowed = entry.rule.allows(who);
            let wrong = if r.status.is_server_error() {
                Some("a server error")
            } else if matches!(entry.rule, Rule::Open) {
                None
            } else if allowed && refused(&r) {
                Some("refused, but allowed")
            } else if !allowed && !refused(&r) {
                Some("let through, but not allowed")
            } else {
                None
            };
            if let Some(why) = wrong {
                failures.push(format!(
                    "{} {url} as {who:?}: {why} ({} {})",
                    entry.method,
                    r.status,
                    r.body.chars().take(160).collect::<String>()
                ));
            }
        }
        if let Some((who, template)) = entry.cross {
            let url = fill(template, &f);
            let c = callers.get_mut(&who).expect("caller");
            let r = ask(c, &entry.method, &url, entry.send, &f).await;
            asked += 1;
            if !refused(&r) {
                failures.push(format!(
                    "{} {url} as {who:?} through their own organisation: let through ({})",
                    entry.method, r.status
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {asked} requests went wrong:\n{}", failures.len(), failures.join("\n"));
    assert!(asked > 8 * 130, "the matrix asked only {asked} requests");
}

#[tokio::test]
async fn the_authorization_matrix_holds_on_sqlite() {
    the_matrix_holds(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_authorization_matrix_holds_on_postgres() {
    the_matrix_holds(Backend::Postgres).await;
}
